"""A minimal Gradio Space (`/echo` reverses a text, prefixed by the app's version), pushed with the stock client.

It starts in seconds, so the tests and the proxy benchmark use it where the Explorer's models are not the point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from huggingface_hub import HfApi

ECHO_APP = """
import os
import gradio as gr

print("echo app {version} starting; token visible:", "HF_TOKEN" in os.environ, flush=True)

with gr.Blocks() as demo:
    text = gr.Textbox(elem_id="text")
    out = gr.Textbox(elem_id="out")
    gr.Button("Go", elem_id="go").click(lambda s: "{version}:" + s[::-1], text, out, api_name="echo")

if __name__ == "__main__":
    demo.launch()
"""


def push_echo_space(api: HfApi, space: str, version: str) -> str:
    """Create (if needed) the Gradio Space `space` and commit the echo app of `version`; return the commit id."""
    from huggingface_hub import CommitOperationAdd

    api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True)
    files = {
        "README.md": b"---\ntitle: Echo\nsdk: gradio\napp_file: app.py\n---\n# Echo\n",
        "app.py": ECHO_APP.replace("{version}", version).encode(),
    }
    operations = [CommitOperationAdd(path, data) for path, data in files.items()]
    return api.create_commit(space, operations, commit_message=f"echo {version}", repo_type="space").oid
