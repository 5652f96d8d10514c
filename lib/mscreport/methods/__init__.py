"""Statistical methods on arrays (scipy, statsmodels called with R's defaults) and tidy result frames."""
