"""Others' forecasts beside ours (``/v1/external``)."""
