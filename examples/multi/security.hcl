# Who may reach what. The frontend (frontend.hcl) refers to these lists.

locals {
  # Networks allowed to reach /admin.
  office_cidrs = ["10.20.0.0/16", "192.168.50.0/24"]
  vpn_cidrs    = ["10.99.0.0/16"]
  admin_allow  = concat(local.office_cidrs, local.vpn_cidrs)

  # Paths nobody may request.
  blocked_prefixes = ["/.git/", "/.env", "/wp-admin/"]
}
