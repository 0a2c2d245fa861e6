"""The calibration suite's parts: a simulated branch network with known truth, and one module of claims per area."""
