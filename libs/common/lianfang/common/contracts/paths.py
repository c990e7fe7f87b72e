"""Each service's path prefix (DESIGN.md, Parts): nginx routes by them in the cluster, the all-in-one server likewise."""

__all__ = ["AUTH", "CHECKIN", "REGISTRY", "TRACE"]

AUTH = "/api/auth"
REGISTRY = "/api/registry"
CHECKIN = "/api/checkin"
TRACE = "/api/trace"
