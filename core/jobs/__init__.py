"""Jobs: long work (training, forecasting, scoring files) in separate worker processes with memory and CPU
limits, so one bad file cannot take the app down for everyone."""

from core.jobs.runner import Job, JobDiedError, get, run_isolated, submit, wait

__all__ = ["Job", "JobDiedError", "get", "run_isolated", "submit", "wait"]
