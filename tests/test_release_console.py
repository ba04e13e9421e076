"""What a release shows on the terminal: bars, warnings to act on, the summary; everything else goes to the log."""

from __future__ import annotations

import io
import logging
import warnings

from hub_release.console import ReleaseConsole

EXPECTED = (
    "model_head.pkl not found on HuggingFace Hub, initialising classification head with random weights. "
    "You should TRAIN this model on a downstream task to use it for predictions and inference."
)


def test_expected_noise_goes_to_the_log_and_a_real_warning_reaches_the_user(tmp_path, capsys):
    terminal = io.StringIO()
    console = ReleaseConsole(stream=terminal)
    with console.capture(tmp_path):
        logging.getLogger("tests.a_library").warning(EXPECTED)  # a library logger that propagates
        logging.getLogger("hub_client.retry").warning("Publishing org/x: transient (503); retry 1/6 in 1s")
        logging.getLogger("marketbert.train").info("Vocabulary: 120 tokens")
        print("{'loss': 5.2, 'epoch': 0.5}")  # a library's progress dict
        warnings.warn("'pin_memory' argument is set as true but no accelerator is found", UserWarning, stacklevel=1)
        bar = console.stage("dataset", "build and publish")
        bar.start(2)
        bar.advance(2)
        console.finish(bar, "ran in 1 s")
    shown = capsys.readouterr()
    real = "WARNING hub_client.retry: Publishing org/x: transient (503); retry 1/6 in 1s"
    assert shown.err.strip().splitlines() == [real]
    assert shown.out == ""
    assert "dataset" in terminal.getvalue() and "2/2" in terminal.getvalue()  # the stage's bar, completed
    log = (tmp_path / "release.log").read_text()
    for line in (EXPECTED, "retry 1/6", "Vocabulary: 120 tokens", "{'loss': 5.2", "pin_memory"):
        assert line in log


def test_verbose_streams_everything(tmp_path, capsys):
    console = ReleaseConsole(verbose=True, stream=io.StringIO())
    with console.capture(tmp_path):
        logging.getLogger("tests.a_library").warning(EXPECTED)
        print("library output")
    err = capsys.readouterr().err
    assert EXPECTED in err and "library output" in err
