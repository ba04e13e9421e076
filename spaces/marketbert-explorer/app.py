"""MarketBERT Explorer: the Space's entry point (a thin shim; the app is `explorer.ui.build_demo`).

The Space repo holds `explorer_config.json` (which model, dataset and classifier repos to serve) next to this file,
and a copy of the `explorer` package and the modules it imports, so it runs with the packages of requirements.txt.
"""

from pathlib import Path

from explorer.ui import build_demo

demo = build_demo(Path(__file__).with_name("explorer_config.json"))

if __name__ == "__main__":
    demo.launch()
