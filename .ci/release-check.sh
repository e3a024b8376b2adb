#!/usr/bin/env bash
# Rehearses a release without publishing it. In a copy of the tree with the version's -SNAPSHOT
# dropped, signs with a throwaway GPG key (a temporary GNUPGHOME, no passphrase) and deploys the
# release profile into a local folder instead of Maven Central:
#   ./mvnw -B -Prelease deploy -DskipTests -DaltDeploymentRepository=staging::file://$STAGING
# then checks the staged folder: exactly the published artifacts, each with its files (main jar,
# sources and javadoc jars, pom), a signature that `gpg --verify` accepts and checksums for every
# one, LICENSE and NOTICE in every jar, an Automatic-Module-Name in every main jar, no test jar;
# and that a new Maven project resolves ws-manager and the BOM from the folder and compiles
# against them. Tests are skipped: the main build runs them. Nothing goes to ~/.m2.
# Usage: .ci/release-check.sh [staging-dir]   (default: a temporary folder, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

if ! command -v gpg >/dev/null 2>&1; then
  echo "==> installing gnupg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends gnupg >/dev/null
fi

# The artifacts published to Maven Central, and the ones of them that are jars.
published='ws-manager-parent ws-manager ws-manager-endpoint ws-manager-micrometer ws-manager-spring-boot-starter ws-manager-bom'
jars='ws-manager ws-manager-endpoint ws-manager-micrometer ws-manager-spring-boot-starter'

work="$(mktemp -d)"
export GNUPGHOME="$work/gnupg"
cleanup() {
  gpgconf --kill gpg-agent >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail=0
problem() {
  echo "FAIL: $*"
  fail=1
}

# The Central plugin ignores maven.deploy.skip and has its own list of what it leaves out of the
# bundle: it must name exactly the modules that skip the deploy.
skipping="$(grep -l '<maven.deploy.skip>true</maven.deploy.skip>' $(git ls-files '*pom.xml') \
  | xargs -n1 sed -n '/<parent>/,/<\/parent>/d; s:^  <artifactId>\(.*\)</artifactId>$:\1:p' | sort)"
excluded="$(sed -n 's:.*<excludeArtifact>\(.*\)</excludeArtifact>.*:\1:p' pom.xml | sort)"
if [ "$skipping" != "$excluded" ]; then
  problem "the central profile's excludeArtifacts ($(echo $excluded)) differ from the modules" \
    "with maven.deploy.skip ($(echo $skipping))"
fi

echo "==> throwaway signing key"
mkdir -m 700 "$GNUPGHOME"
echo 'pinentry-mode loopback' >"$GNUPGHOME/gpg.conf"
echo 'allow-loopback-pinentry' >"$GNUPGHOME/gpg-agent.conf"
gpg --batch --quiet --passphrase '' --quick-generate-key \
  'ws-manager release rehearsal <release-check@ws-manager.invalid>' ed25519 sign 1d
keyid="$(gpg --batch --list-secret-keys --with-colons | awk -F: '/^sec/ {print $5; exit}')"

staging="${1:-$work/staging}"
rm -rf "$staging"
mkdir -p "$staging"
staging="$(cd "$staging" && pwd)"

snapshot="$(sed -n 's:^  <version>\(.*-SNAPSHOT\)</version>$:\1:p' pom.xml | head -1)"
[ -n "$snapshot" ] || { echo "no -SNAPSHOT version in pom.xml"; exit 1; }
version="${snapshot%-SNAPSHOT}"
echo "==> rehearsing the release of $version into $staging"
# The tree as it is checked out (tracked and new files, not what .gitignore leaves out).
tree="$work/tree"
mkdir "$tree"
git ls-files -z --cached --others --exclude-standard \
  | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$tree"
find "$tree" -name pom.xml -exec sed -i "s:<version>$snapshot</version>:<version>$version</version>:" {} +

(cd "$tree" && ./mvnw -B -q -Prelease deploy -DskipTests -Djacoco.skip=true \
  -Dmaven.install.skip=true -Dgpg.keyname="$keyid" \
  -DaltDeploymentRepository="staging::file://$staging")

echo "==> checking the staged files"
base="$staging/dev/wsmanager"
[ -d "$base" ] || { echo "nothing staged under dev/wsmanager"; exit 1; }
actual="$(cd "$base" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)"
expected="$(printf '%s\n' $published | sort)"
if [ "$actual" != "$expected" ]; then
  problem "staged artifactIds differ from the published ones:"
  diff <(echo "$expected") <(echo "$actual") | sed -n 's/^</  missing: /p; s/^>/  extra:   /p'
fi
if [ "$(cd "$staging" && find . -mindepth 1 -maxdepth 1 | sed 's:^\./::')" != dev ] \
  || [ "$(cd "$staging/dev" && find . -mindepth 1 -maxdepth 1 | sed 's:^\./::')" != wsmanager ]; then
  problem "files staged outside dev/wsmanager: $(cd "$staging" && find . -type f ! -path './dev/wsmanager/*')"
fi

for a in $published; do
  dir="$base/$a/$version"
  files="$a-$version.pom"
  case " $jars " in
    *" $a "*) files="$files $a-$version.jar $a-$version-sources.jar $a-$version-javadoc.jar" ;;
  esac
  # Every artifact file has its signature; every file but the signatures has its checksums.
  allowed=""
  for f in $files; do
    allowed="$allowed $f $f.asc $f.md5 $f.sha1"
    [ -f "$dir/$f" ] || { problem "$a: $f not staged"; continue; }
    [ -f "$dir/$f.asc" ] || { problem "$a: $f has no signature"; continue; }
    gpg --batch --quiet --verify "$dir/$f.asc" "$dir/$f" 2>/dev/null \
      || problem "$a: the signature of $f does not verify"
    for sum in md5 sha1; do
      [ "$(cat "$dir/$f.$sum" 2>/dev/null)" = "$(${sum}sum "$dir/$f" | cut -d' ' -f1)" ] \
        || problem "$a: $f.$sum missing or wrong"
    done
  done
  for f in $(cd "$dir" 2>/dev/null && ls); do
    case " $allowed " in
      *" $f "*) ;;
      *) problem "$a: unexpected file staged: $f" ;;
    esac
  done
  for f in $(cd "$base/$a" && find . -mindepth 1 -maxdepth 1 ! -name "$version" -printf '%f\n'); do
    case "$f" in
      maven-metadata.xml | maven-metadata.xml.md5 | maven-metadata.xml.sha1) ;;
      *) problem "$a: unexpected file staged: $f" ;;
    esac
  done
done

if find "$staging" -name '*-tests.jar' -o -name '*-test-sources.jar' | grep .; then
  problem "test jars staged"
fi
for j in $(find "$staging" -name '*.jar'); do
  entries="$(jar tf "$j")"
  for entry in META-INF/LICENSE META-INF/NOTICE; do
    grep -qx "$entry" <<<"$entries" || problem "no $entry in $(basename "$j")"
  done
  case "$j" in
    *-sources.jar | *-javadoc.jar) ;;
    *)
      rm -rf "$work/manifest" && mkdir "$work/manifest"
      (cd "$work/manifest" && jar xf "$j" META-INF/MANIFEST.MF)
      tr -d '\r' <"$work/manifest/META-INF/MANIFEST.MF" | grep -q '^Automatic-Module-Name: dev\.wsmanager' \
        || problem "no Automatic-Module-Name in $(basename "$j")" ;;
  esac
done

echo "==> a new project resolves ws-manager and the BOM from the staged folder"
consumer="$work/consumer"
mkdir -p "$consumer/src/main/java/example"
cat >"$consumer/pom.xml" <<XML
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>ws-manager-staging</id>
      <url>file://$staging</url>
      <snapshots><enabled>false</enabled></snapshots>
    </repository>
  </repositories>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>dev.wsmanager</groupId>
        <artifactId>ws-manager-bom</artifactId>
        <version>$version</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>dev.wsmanager</groupId>
      <artifactId>ws-manager</artifactId>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.1</version>
      </plugin>
      <plugin>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.1</version>
      </plugin>
    </plugins>
  </build>
</project>
XML
cat >"$consumer/src/main/java/example/Consumer.java" <<'JAVA'
package example;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;

public class Consumer {
  public static void main(String[] args) {
    try (WsManager manager = WsManager.builder().name("consumer").build()) {
      manager.open(StreamSpec.builder("feed", "wss://example.invalid/feed").build());
    }
  }
}
JAVA
# A local repository of its own, reading what the machine already has (read only) through
# maven.repo.local.tail: ws-manager can only come from the staged folder.
tail=()
[ -d "$HOME/.m2/repository" ] && tail=(-Dmaven.repo.local.tail="$HOME/.m2/repository")
"$root/mvnw" -B -q -f "$consumer/pom.xml" -Dmaven.repo.local="$work/consumer-repo" "${tail[@]}" compile
fetched="$work/consumer-repo/dev/wsmanager/ws-manager/$version"
if [ -f "$fetched/ws-manager-$version.jar" ] && grep -q 'ws-manager-staging' "$fetched/_remote.repositories"; then
  echo "compiled against ws-manager $version from the staged folder"
else
  problem "the consumer's ws-manager $version did not come from the staged folder"
fi

echo "==> staged files ($(find "$staging" -type f | wc -l))"
find "$staging" -type f | sort
if [ "$fail" -ne 0 ]; then
  echo "release rehearsal FAILED"
  exit 1
fi
echo "release rehearsal OK: $(find "$staging" -name '*.asc' | wc -l) signatures verified"
