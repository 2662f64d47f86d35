"""Schedule pages: planning, change requests, baselines, forecasts and risks, one module each."""
