"""The demo report: pipeline (``run_demo``), plots, findings computed from numbers, writer."""

from .demo import DESIGNS, DemoConfig, DemoResult, Design, run_demo
from .findings import compute_findings, format_findings
from .plots import (TransferCurve, plot_accuracy, plot_enob_vs_iterations, plot_tradeoff,
                    plot_transfer)
from .writer import check_out_dir, format_table, render_report, results_json, write_report

__all__ = [
    "DESIGNS", "DemoConfig", "DemoResult", "Design", "run_demo",
    "TransferCurve", "check_out_dir", "compute_findings", "format_findings", "format_table",
    "plot_accuracy", "plot_enob_vs_iterations", "plot_tradeoff", "plot_transfer",
    "render_report", "results_json", "write_report",
]
