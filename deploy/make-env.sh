#!/bin/sh
# Writes .env next to docker-compose.yml with random passwords. An existing .env keeps every value it has; only
# the variables it lacks are added, so a .env made for an older version of the demo gains the new ones.
set -eu
cd "$(dirname "$0")/.."
rand() { head -c 24 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }
umask 077
touch .env
chmod 600 .env
# A last line without its newline would run into the first variable added.
if [ -s .env ] && [ -n "$(tail -c 1 .env)" ]; then echo >> .env; fi
added=""
add() {
  grep -q "^$1=" .env && return 0
  echo "$1=$2" >> .env
  added="$added $1"
}
add RELAY_PASSWORD "$(rand)"
add RELAY_DB_PASSWORD "$(rand)"
add RELAY_ADMIN_TOKEN "$(rand)"
add FUSIONAUTH_DB_ROOT_PASSWORD "$(rand)"
add FUSIONAUTH_DB_PASSWORD "$(rand)"
add FUSIONAUTH_API_KEY "$(rand)$(rand)"
add FUSIONAUTH_ADMIN_EMAIL admin@example.com
add FUSIONAUTH_ADMIN_PASSWORD "$(rand)"
if [ -z "$added" ]; then
  echo ".env has every variable already; left as it is"
else
  echo "added to .env (mode 0600):$added"
  echo "the FusionAuth admin is the FUSIONAUTH_ADMIN_EMAIL in .env, with FUSIONAUTH_ADMIN_PASSWORD"
fi
