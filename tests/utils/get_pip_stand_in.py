"""Stand-in for the get-pip.py bootstrap that ansible-test downloads for its sanity venvs.

The download host is unreachable here; this does the same job with the standard library's
ensurepip, then installs the pip version ansible-test asked for from the package index.
ansible-test runs it as a module with pip-install arguments (`pip==X --no-setuptools ...`).
"""

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
