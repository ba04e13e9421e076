"""The Space repo's sources: pinned requirements, the vendored code, the app shim, the SpaceCard front matter."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions, version

import pytest
from packaging.requirements import Requirement

from explorer.inference import ExplorerConfig
from explorer.publish import PROJECT_ROOT, SPACE_SOURCE, VENDORED_PACKAGES, _imported_names, app_module_files
from explorer.runner import unmet_requirements
from explorer.space_card import space_card, space_card_data

CONFIG = ExplorerConfig(
    model_repo="org/marketbert",
    dataset_repo="org/firm-trademark-sequences",
    twin_green_repo="org/twin-transition-green",
    twin_digital_repo=None,
)


def test_requirements_are_pinned_to_the_installed_versions():
    lines = (SPACE_SOURCE / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    assert {r.name for r in requirements} >= {"torch", "transformers", "datasets", "huggingface_hub"}
    for requirement in requirements:
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{requirement} is not pinned"
        installed = version(requirement.name).split("+")[0]  # torch's local label (+cpu) is not part of the pin
        assert spec.version == installed, (
            f"{requirement.name}: requirements.txt pins {spec.version}, installed {installed}"
        )


def test_every_package_the_vendored_code_imports_is_a_requirement():
    lines = (SPACE_SOURCE / "requirements.txt").read_text().splitlines()
    required = {Requirement(line).name.lower() for line in lines if line.strip() and not line.startswith("#")}
    imported = set()
    for path in app_module_files():
        imported |= {name.split(".")[0] for name in _imported_names(ast.parse(path.read_text()))}
    third_party = imported - set(sys.stdlib_module_names) - set(VENDORED_PACKAGES) - {"__future__"}
    # gradio comes with the Space SDK (sdk_version); `spaces` (ZeroGPU) is optional and present on Spaces.
    third_party -= {"gradio", "spaces"}
    distributions = packages_distributions()
    missing = {name for name in third_party if not {d.lower() for d in distributions[name]} & required}
    assert not missing, f"imported by the Space's code but not in requirements.txt: {sorted(missing)}"


def test_app_shim_builds_the_demo_and_launches_only_as_a_script():
    tree = ast.parse((SPACE_SOURCE / "app.py").read_text())
    top_level_calls = [
        node.value.func.attr
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
    ]
    assert "launch" not in top_level_calls
    guard = next(node for node in tree.body if isinstance(node, ast.If))
    assert ast.unparse(guard.test) == "__name__ == '__main__'"
    assert "demo.launch()" in ast.unparse(guard)


def test_vendored_code_is_the_import_closure_of_the_app():
    files = {str(p.relative_to(PROJECT_ROOT)) for p in app_module_files()}
    assert {"explorer/ui.py", "explorer/inference.py", "marketbert/inference.py", "twin_transition/head.py"} <= files
    # Publishing, the CLI and the training code are not part of the Space.
    assert not files & {"explorer/publish.py", "explorer/cli.py", "explorer/runner.py", "marketbert/train.py"}
    assert not any(f.startswith("hub_release/") for f in files)


def test_space_card_front_matter():
    data = space_card_data(CONFIG).to_dict()
    assert data["sdk"] == "gradio" and data["sdk_version"] == version("gradio")
    assert data["app_file"] == "app.py" and data["license"] == "apache-2.0"
    assert data["models"] == ["org/marketbert", "org/twin-transition-green"]
    assert data["datasets"] == ["org/firm-trademark-sequences"]
    assert data["suggested_hardware"] == "t4-small"
    card = space_card(CONFIG, "org/marketbert-explorer", endpoint="http://hub.example/")
    assert card.content.startswith("---\n") and "# MarketBERT Explorer" in card.text
    assert "hub-release space run org/marketbert-explorer" in card.text
    assert "(http://hub.example/datasets/org/firm-trademark-sequences)" in card.text


def test_explorer_config_rejects_unknown_keys(tmp_path):
    path = tmp_path / "explorer_config.json"
    path.write_text('{"model_repo": "a/b", "dataset_repo": "a/c", "model": "typo"}')
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['model'\]"):
        ExplorerConfig.load(path)
    CONFIG.save(path)
    assert ExplorerConfig.load(path) == CONFIG


def test_space_run_reports_requirements_this_environment_does_not_meet(tmp_path):
    assert unmet_requirements(SPACE_SOURCE / "requirements.txt") == []
    path = tmp_path / "requirements.txt"
    path.write_text(f"numpy=={version('numpy')}\nnumpy<1  # too old\nno-such-package-xyz==1.0\n")
    assert unmet_requirements(path) == [
        f"numpy<1 (installed: {version('numpy')})",
        "no-such-package-xyz==1.0 (not installed)",
    ]
