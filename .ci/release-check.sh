#!/usr/bin/env bash
# Rehearses a release without publishing: in a copy of the tree with the version's -SNAPSHOT
# dropped (the Central plugin bundles only release versions), builds the release profile (sources,
# javadoc, GPG signatures, the Central bundle) with a throwaway key in a temporary GNUPGHOME,
# stages the bundle in a local folder, and checks that every artifact is signed, every signature
# verifies, only the published artifacts are staged and every jar carries LICENSE, NOTICE and an
# Automatic-Module-Name. Tests are skipped: the main build runs them.
# Usage: .ci/release-check.sh [staging-dir]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v gpg >/dev/null 2>&1; then
  echo "==> installing gnupg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gnupg >/dev/null
fi

work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
cleanup() {
  gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-generate-key \
  'ws-manager release rehearsal <release-check@ws-manager.invalid>' ed25519 sign 1d
keyid="$(gpg --batch --list-secret-keys --with-colons | awk -F: '/^sec/ {print $5; exit}')"

staging="${1:-$work/staging}"
rm -rf "$staging"
mkdir -p "$staging"
staging="$(cd "$staging" && pwd)"

snapshot="$(sed -n 's:^  <version>\(.*-SNAPSHOT\)</version>$:\1:p' pom.xml | head -1)"
[ -n "$snapshot" ] || { echo "no -SNAPSHOT version in pom.xml"; exit 1; }
release="${snapshot%-SNAPSHOT}"
echo "==> rehearsing the release of $release"
tree="$work/tree"
mkdir "$tree"
git ls-files -z | (cd "$(pwd)" && xargs -0 cp --parents -t "$tree")
find "$tree" -name pom.xml -exec sed -i "s:<version>$snapshot</version>:<version>$release</version>:" {} +

# The Central plugin wants the credentials of its server even when it does not publish: give it
# dummy ones, in settings of the rehearsal's own (as global settings, so a user's stay in force).
cat >"$work/settings.xml" <<'XML'
<settings>
  <servers>
    <server>
      <id>central</id>
      <username>rehearsal</username>
      <password>rehearsal</password>
    </server>
  </servers>
</settings>
XML
# -Dmaven.install.skip: the rehearsal puts nothing into the local repository.
(cd "$tree" && ./mvnw -B -q -gs "$work/settings.xml" -Prelease -DskipTests -Djacoco.skip=true \
  -Dmaven.install.skip=true -Dgpg.keyname="$keyid" -DskipPublishing=true deploy)
# The plugin stages under target/central-staging and bundles that into central-bundle.zip, the
# file it would upload: unpack the bundle, which is what Central would receive.
bundle="$tree/target/central-publishing/central-bundle.zip"
if [ -f "$bundle" ]; then
  (cd "$staging" && jar xf "$bundle")
else
  cp -R "$tree/target/central-staging/." "$staging/" 2>/dev/null || true
fi

echo "==> staged files"
(cd "$staging" && find . -type f | sort)

fail=0
published='ws-manager ws-manager-endpoint ws-manager-micrometer ws-manager-spring-boot-starter ws-manager-bom ws-manager-parent'
for a in $published; do
  if ! find "$staging" -name "$a-*.pom" | grep -q .; then
    echo "MISSING: no pom staged for $a"; fail=1
  fi
done
for f in $(find "$staging" -type f \( -name '*.jar' -o -name '*.pom' \)); do
  name="$(basename "$f")"
  case "$name" in
    ws-manager-sample-app*|*example*|ws-manager-bench*|ws-manager-integrations*)
      echo "STAGED BUT NEVER PUBLISHED: $name"; fail=1 ;;
  esac
  if [ ! -f "$f.asc" ]; then
    echo "UNSIGNED: $name"; fail=1
  elif ! gpg --batch --quiet --verify "$f.asc" "$f" 2>/dev/null; then
    echo "BAD SIGNATURE: $name"; fail=1
  fi
done
asc=$(find "$staging" -name '*.asc' | wc -l)
[ "$asc" -gt 0 ] || { echo "no signatures staged"; fail=1; }
for j in $(find "$staging" -name '*.jar' ! -name '*-javadoc.jar' ! -name '*-tests.jar'); do
  for entry in META-INF/LICENSE META-INF/NOTICE; do
    if ! jar tf "$j" | grep -qx "$entry"; then
      echo "NO $entry in $(basename "$j")"; fail=1
    fi
  done
done
for j in $(find "$staging" -name '*.jar' ! -name '*-javadoc.jar' ! -name '*-sources.jar' ! -name '*-tests.jar'); do
  rm -rf "$work/manifest" && mkdir "$work/manifest"
  (cd "$work/manifest" && jar xf "$j" META-INF/MANIFEST.MF)
  if ! grep -q '^Automatic-Module-Name: dev\.wsmanager' "$work/manifest/META-INF/MANIFEST.MF"; then
    echo "NO Automatic-Module-Name in $(basename "$j")"; fail=1
  fi
done
if [ "$fail" -ne 0 ]; then
  echo "release rehearsal FAILED"
  exit 1
fi
echo "release rehearsal: $asc signatures verified"
