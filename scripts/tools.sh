# Sourced by scripts/test.sh and benches/run.sh. With `packages` (Debian packages) and `tools`
# (commands) set, `install_missing NAME` installs the packages with apt when a tool is missing
# and we are root, then leaves the tools still missing in `missing` (empty when none).
# `python_modules` (optional) lists Python modules that must import; a missing one is
# reported as `python3-<module>`.

missing_tools() {
  local tool
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || printf '%s ' "$tool"
  done
  local module
  for module in ${python_modules[@]+"${python_modules[@]}"}; do
    python3 -c "import $module" >/dev/null 2>&1 || printf 'python3-%s ' "$module"
  done
}

# The packages of `packages` that dpkg does not list as installed.
uninstalled_packages() {
  local package
  for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || printf '%s ' "$package"
  done
}

# Installs only the packages that are not installed yet, and never upgrades one that is
# (--no-upgrade): the machine's own packages stay at the versions its admin chose.
install_missing() {
  missing=$(missing_tools)
  if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    local wanted
    wanted=$(uninstalled_packages)
    echo "$1: installing ${wanted:-nothing new} (missing: $missing)"
    if [ -n "$wanted" ]; then
      # One index mid-sync can make `update` fail while the install still works: check after.
      apt-get update || echo "$1: apt-get update reported an error; trying the install anyway"
      # shellcheck disable=SC2086 # one word per package
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade $wanted
    fi
    missing=$(missing_tools)
  fi
}
