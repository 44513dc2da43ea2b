# The public frontend. deny and redirect blocks run first, in order; then
# the highest-ranked matching route picks the backend.

frontend "public" {
  bind            = var.http_bind
  default_backend = backend.www

  condition "office" {
    src = local.office_cidrs
  }

  condition "vpn" {
    src = local.vpn_cidrs
  }

  # --- security -----------------------------------------------------------

  deny "blocked" {
    path_prefix = local.blocked_prefixes
    status      = 404
  }

  deny "admin_outside" {
    path_prefix = ["/admin"]
    not_src     = local.admin_allow
  }

  # --- redirects ----------------------------------------------------------

  # The bare domain moves to www.
  redirect "www" {
    host = [var.domain]
    to   = "https://www.${var.domain}/"
    code = 301
  }

  # Old paths moved for good.
  redirect "old_blog" {
    path_prefix = ["/blog/"]
    to          = "https://blog.${var.domain}/"
    code        = 301
  }

  redirect "old_docs" {
    path = ["/docs", "/documentation"]
    to   = "/help/"
    code = 308
  }

  # --- routes -------------------------------------------------------------

  route "www" {
    host    = ["www.${var.domain}"]
    backend = backend.www
  }

  route "api" {
    host    = ["api.${var.domain}"]
    backend = backend.api
  }

  # Same host plus a header: the extra match attribute ranks this route
  # above "api", so requests with X-Canary: 1 go to the canary.
  route "api_canary" {
    host    = ["api.${var.domain}"]
    header  = { "X-Canary" = "1" }
    backend = backend.api_canary
  }

  # Every tenant app under apps.DOMAIN, at any depth.
  route "apps" {
    host    = ["*.apps.${var.domain}"]
    backend = backend.apps
  }

  # Static files of the site come from the static backend. With a host
  # and a path prefix, this route ranks above the host-only "www" route.
  route "static" {
    host        = ["www.${var.domain}"]
    path_prefix = ["/static/", "/assets/"]
    backend     = backend.static
  }

  # Staff reach the admin backend from the office or the VPN (others were
  # denied above), except for its static files, which www serves.
  route "admin" {
    host        = ["www.${var.domain}"]
    path_prefix = ["/admin"]
    when        = "(office || vpn) && !path_prefix('/admin/static/')"
    backend     = backend.admin
  }
}
