"""The service itself and its catalog: health, Prometheus metrics, scenarios and prior sets."""
