"""MarketBERT Explorer: the Space's app (`explorer.ui.build_demo`), its gradio-free inference (`explorer.inference`).

Publishing (`explorer.publish.push_space`) and running a published Space as hosted (`explorer.runner.run_space`)
live beside them; `hub-release space push|run` is the CLI (`explorer.cli`).
"""
