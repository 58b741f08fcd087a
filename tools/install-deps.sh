#!/usr/bin/env bash
# Install every Debian 12 package Ceremony needs to build, test and be checked by stock tools.
# Runs apt-get as root (directly, or through sudo when not root).
set -euo pipefail
packages=(
  build-essential cmake pkg-config git ca-certificates
  clang clang-format libclang-rt-14-dev   # fuzzing (libFuzzer) and the format check
  libsodium-dev libssl-dev libgit2-dev libxml2-dev libxslt1-dev libcriterion-dev libjansson-dev
  zlib1g-dev                              # inflating loose Git objects in the verifier (libgit2 already uses it)
  openssh-client openssl libxml2-utils jq time # the witnesses: ssh-keygen, ssh-agent, openssl, xmllint, jq; GNU time
  chromium                                     # the HTML report, rendered headless by the tests
)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
