#!/bin/bash
set -euo pipefail
cd /app
awk '/^\[/{s=$0} s=="[server]" && /^port *=/{print "port = 8080"; next} {print}' config.ini > config.new && mv config.new config.ini
