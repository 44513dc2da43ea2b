# when-expression errors are reported at the exact line and column inside
# the HCL string, also after HCL escapes (\", \\, \uXXXX, $${, %%{) and
# non-ASCII characters. The expected columns were counted on the source
# line, one per character.

backend "api" {
  server "s" { address = "127.0.0.1:9001" }
}

frontend "main" {
  bind = ["127.0.0.1:8080"]

  # dangling operator: the error is at the closing quote
  route "r0" {
    path    = ["/r0"]
    when    = "host('a.example.com') ||" # ERROR@40 `^Invalid when expression: Unexpected end of expression; expected a condition name, a function call, "!" or "\("\.$`
    backend = backend.api
  }

  # single | with a hint
  route "r1" {
    path    = ["/r1"]
    when    = "host('a.example.com') | path('/x')" # ERROR@38 `Unexpected character "\|"; did you mean "\|\|"\?`
    backend = backend.api
  }

  # single &
  route "r2" {
    path    = ["/r2"]
    when    = "path('/x') & method('GET')" # ERROR@27 `Unexpected character "&"; did you mean "&&"\?`
    backend = backend.api
  }

  # missing comma between arguments
  route "r3" {
    path    = ["/r3"]
    when    = "header('X-A' '1')" # ERROR@29 `Unexpected string \'1\'; expected "," or "\)"\.`
    backend = backend.api
  }

  # unclosed group
  route "r4" {
    path    = ["/r4"]
    when    = "(path('/a') && method('GET')" # ERROR@44 `Unexpected end of expression; expected "&&", "\|\|" or "\)"\.`
    backend = backend.api
  }

  # unmatched )
  route "r5" {
    path    = ["/r5"]
    when    = "path('/a'))" # ERROR@26 `Unexpected "\)"; expected "&&", "\|\|" or end of expression\. There is no "\(" to match this "\)"\.`
    backend = backend.api
  }

  # unquoted argument
  route "r6" {
    path    = ["/r6"]
    when    = "host(a.example.com)" # ERROR@21 `Unexpected name "a\.example\.com"; expected a quoted string or "\)"\. Function arguments must be quoted strings, as in \'a\.example\.com\'\.`
    backend = backend.api
  }

  # a string is not an operand
  route "r7" {
    path    = ["/r7"]
    when    = "method('GET') && 'x'" # ERROR@33 `Unexpected string \'x\'; expected a condition name.*A string can only be a function argument`
    backend = backend.api
  }

  # two operands without an operator
  route "r8" {
    path    = ["/r8"]
    when    = "path('/a') method('GET')" # ERROR@27 `Unexpected name "method"; expected "&&", "\|\|" or end of expression\.`
    backend = backend.api
  }

  # unterminated string: from the quote to the end
  route "r9" {
    path    = ["/r9"]
    when    = "path('/a) && method(GET)" # ERROR@21 `^Unterminated string: This string literal has no closing \' quote\.$`
    backend = backend.api
  }

  # trailing comma
  route "r10" {
    path    = ["/r10"]
    when    = "header('X-A', '1',)" # ERROR@34 `Unexpected "\)"; expected a quoted string\.`
    backend = backend.api
  }

  # empty expression
  route "r11" {
    path    = ["/r11"]
    when    = "" # ERROR@16 `^Empty when expression: A when expression must not be empty; write a condition name or a function call such as host\('example\.com'\)\.$`
    backend = backend.api
  }

  # HCL escapes \" before the error shift the column by one per escape
  route "r12" {
    path    = ["/r12"]
    when    = "header(\"X-A\", \"1\") && header(\"X-B\", \"2\") ! path('/')" # ERROR@65 `Unexpected "!"; expected "&&", "\|\|" or end of expression\.`
    backend = backend.api
  }

  # a when-level invalid escape (HCL \\t is a backslash and a t) after HCL escapes
  route "r13" {
    path    = ["/r13"]
    when    = "header(\"X-Tab\", \"a\\tb\")" # ERROR@37 `^Invalid escape: Invalid escape sequence "\\\\t"`
    backend = backend.api
  }

  # unicode escapes (6 source characters, one rune) before the error
  route "r14" {
    path    = ["/r14"]
    when    = "host('\u00e9t\u00e9.example') && @" # ERROR@49 `^Invalid when expression: Unexpected character "@"\.$`
    backend = backend.api
  }

  # literal non-ASCII before the error counts one column per character
  route "r15" {
    path    = ["/r15"]
    when    = "path('/\u00fcber/é') && # && path('/')" # ERROR@40 `Unexpected character "#"\.`
    backend = backend.api
  }

  # $${ and %%{ are HCL escapes for ${ and %{
  route "r16" {
    path    = ["/r16"]
    when    = "path('/$${x}/%%{y}') && (" # ERROR@41 `Unexpected end of expression; expected a condition name`
    backend = backend.api
  }

  # the when-level \\ escape inside a regex, written \\\\ in HCL
  route "r17" {
    path    = ["/r17"]
    when    = "path_regex('^/a\\\\d') || || path('/')" # ERROR@42 `Unexpected "\|\|"; expected a condition name`
    backend = backend.api
  }

  # wrong arity is reported at the call
  route "r18" {
    path    = ["/r18"]
    when    = "path('/x') && query('a')" # ERROR@30 `^Wrong number of arguments: query takes 2 arguments, got 1\.$`
    backend = backend.api
  }

  # two errors in one string: an unknown function and a wrong arity
  route "r19" {
    path    = ["/r19"]
    when    = "hots('a') || header_present('X-A', 'b')" # ERROR@16 `Unknown when function.*Did you mean "host"\?` ERROR@29 `^Wrong number of arguments: header_present takes 1 argument, got 2\.$`
    backend = backend.api
  }

  # argument values are checked once the expression parses
  route "r20" {
    path    = ["/r20"]
    when    = "method('get') || host('a..b')" # ERROR@23 `^Invalid argument to method: invalid HTTP method "get"` ERROR@38 `^Invalid argument to host: invalid host "a\.\.b": empty label$`
    backend = backend.api
  }

  # A template (interpolation) cannot be mapped character by character: the
  # error falls back to the start of the whole expression.
  route "template" {
    path    = ["/template"]
    when    = "path('${"/t"}') ||" # ERROR@15 `Unexpected end of expression`
    backend = backend.api
  }

  # Valid, with every quoting style and escapes.
  route "valid" {
    path    = ["/valid"]
    when    = "header(\"X-A\", 'it\\'s') && path_regex(`^/v\\d+$`) && !query('a', \"b\")"
    backend = backend.api
  }
}
