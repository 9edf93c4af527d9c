"""Stopping a process a test started: asked to end (SIGTERM), then killed when it does not
within the time given, and waited for either way (no zombie, its files closed)."""

import subprocess


def stop(process, timeout=10):
    """Stop process (a subprocess.Popen); its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait(timeout=timeout)
