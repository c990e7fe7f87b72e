from lianfang.common.auth.dependencies import (
    BearerToken,
    CurrentAdmin,
    CurrentPrincipal,
    CurrentResident,
    CurrentStaff,
    CurrentStaffOrAdmin,
    ensure_in_scope,
    in_scope,
)
from lianfang.common.auth.tokens import (
    AdminPrincipal,
    Principal,
    ResidentPrincipal,
    Role,
    StaffPrincipal,
    TokenSigner,
    TokenVerifier,
)

__all__ = [
    "AdminPrincipal",
    "BearerToken",
    "CurrentAdmin",
    "CurrentPrincipal",
    "CurrentResident",
    "CurrentStaff",
    "CurrentStaffOrAdmin",
    "Principal",
    "ResidentPrincipal",
    "Role",
    "StaffPrincipal",
    "TokenSigner",
    "TokenVerifier",
    "ensure_in_scope",
    "in_scope",
]
