"""`python space_child.py APP_FILE`: run a Space's app file as `__main__`, and exit when the Hub that started it dies.

Started by `local_hub.space_host` with the Space's run folder as working directory; run as a script (not `-m`) so the
child imports nothing of the Hub: only the standard library here, the Space's own files and installed packages after.
"""

import os
import runpy
import sys
import threading
import time


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)  # the Hub is gone (even after kill -9): no orphan keeps the port


if __name__ == "__main__":
    app_file = sys.argv[1]
    sys.path[0] = os.getcwd()  # the Space's folder first, as `python app.py` in it would have it
    sys.argv = [app_file]
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    runpy.run_path(app_file, run_name="__main__")
