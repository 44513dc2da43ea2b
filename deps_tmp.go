package main
import (
 _ "github.com/hashicorp/hcl/v2"
 _ "github.com/zclconf/go-cty/cty"
 _ "github.com/alecthomas/participle/v2"
 _ "github.com/haproxytech/config-parser/v5"
 _ "github.com/alecthomas/kong"
 _ "github.com/fsnotify/fsnotify"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "github.com/google/renameio/v2"
 _ "github.com/google/go-cmp/cmp"
)
func main(){}
