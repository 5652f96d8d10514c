"""mscreport: a literate, reproducible report of HbA1c change after one MSC infusion.

The computation lives here, once; the chapter notebooks in ``notebooks/`` are prose and
figures around one-line calls into this package. Conventions used everywhere:

* change = follow-up - baseline, so a fall in HbA1c is negative;
* every HbA1c quantity is held in NGSP % (input in mmol/mol is converted on load);
* all tests are two-sided; confidence intervals are at 1 - alpha.
"""

__version__ = "0.1.0"
