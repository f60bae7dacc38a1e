"""Keel's core: everything that computes, with no Streamlit in sight.

Pages (``pages/``) and the CLI (``python -m core``) are two thin faces over these modules.
"""

__version__ = "0.1.0"
