#!/bin/sh
# Writes .env next to docker-compose.yml with random passwords, once. An existing .env is left alone.
set -eu
cd "$(dirname "$0")/.."
if [ -e .env ]; then echo ".env exists; leaving it as it is"; exit 0; fi
rand() { head -c 24 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'; }
umask 077
{
  echo "RELAY_PASSWORD=$(rand)"
  echo "RELAY_DB_PASSWORD=$(rand)"
  echo "FUSIONAUTH_DB_ROOT_PASSWORD=$(rand)"
  echo "FUSIONAUTH_DB_PASSWORD=$(rand)"
  echo "FUSIONAUTH_API_KEY=$(rand)$(rand)"
  echo "FUSIONAUTH_ADMIN_EMAIL=admin@example.com"
  echo "FUSIONAUTH_ADMIN_PASSWORD=$(rand)"
} > .env
echo "wrote .env (mode 0600): the FusionAuth admin is admin@example.com, password FUSIONAUTH_ADMIN_PASSWORD in .env"
