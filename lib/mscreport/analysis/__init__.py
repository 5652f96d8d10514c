"""The analyses, one module per topic (paired change, strata, dose, trust, arms, trajectories, published figures)."""
