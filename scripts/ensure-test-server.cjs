#!/usr/bin/env node
// Makes sure Temporal's time-skipping test server is available to the tests that skip workflow
// time (test/helpers/time-skipping.ts): DJOBS_TEST_SERVER_PATH, else a project-local install in
// .tools/temporal-test-server-<version>/. The TypeScript SDK's createTimeSkipping() would download
// a native build from GitHub at run time; this installs the same server from Maven Central instead
// (io.temporal:temporal-test-server, a Java program): the exact jars of its dependency closure, each
// checked against a pinned sha256, and a launcher script that runs it with the machine's Java. Needs
// only Java 8 or later (no Maven). Plain Node with no dependencies, so it runs before `npm run build`.
// Prints the launcher's path.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { executable } = require('./executables.cjs');
const { takeInstallLock } = require('./install-lock.cjs');

const VERSION = '1.31.0';
const MAVEN_CENTRAL = process.env.DJOBS_MAVEN_REPOSITORY || 'https://repo1.maven.org/maven2';
/**
 * io.temporal:temporal-test-server:1.31.0 and its runtime dependencies as Maven resolves them
 * (`mvn dependency:list -DincludeScope=runtime` on a pom depending on it): path under the
 * repository, sha256.
 */
const JARS = [
  [
    'com/cronutils/cron-utils/9.2.1/cron-utils-9.2.1.jar',
    '02af0e8b2fe93c9fa6eecf97b53b39faae14c5b996356edb132e9fe620013744',
  ],
  [
    'com/fasterxml/jackson/core/jackson-annotations/2.14.2/jackson-annotations-2.14.2.jar',
    '2c6869d505cf60dc066734b7d50339f975bd3adc635e26a78abb71acb4473c0d',
  ],
  [
    'com/fasterxml/jackson/core/jackson-core/2.14.2/jackson-core-2.14.2.jar',
    'b5d37a77c88277b97e3593c8740925216c06df8e4172bbde058528df04ad3e7a',
  ],
  [
    'com/fasterxml/jackson/core/jackson-databind/2.14.2/jackson-databind-2.14.2.jar',
    '501d3abce4d18dcc381058ec593c5b94477906bba6efbac14dae40a642f77424',
  ],
  [
    'com/fasterxml/jackson/datatype/jackson-datatype-jdk8/2.14.2/jackson-datatype-jdk8-2.14.2.jar',
    'aa55d3d545e02d959a6e8c83927acc55c9937d717d4d3fd962d27ec7b431b8c4',
  ],
  [
    'com/fasterxml/jackson/datatype/jackson-datatype-jsr310/2.14.2/jackson-datatype-jsr310-2.14.2.jar',
    '75651b65733ed94e4e28e4ba0817218d93e71e8a7f06f6ab3662752974d2bcae',
  ],
  [
    'com/google/android/annotations/4.1.1.4/annotations-4.1.1.4.jar',
    'ba734e1e84c09d615af6a09d33034b4f0442f8772dec120efb376d86a565ae15',
  ],
  [
    'com/google/api/grpc/proto-google-common-protos/2.22.0/proto-google-common-protos-2.22.0.jar',
    '002eebc53d27e4fb2e8cf823ea1f3565b90c4b0b4380ff508bf61bd42f2be0d3',
  ],
  [
    'com/google/code/findbugs/jsr305/3.0.2/jsr305-3.0.2.jar',
    '766ad2a0783f2687962c8ad74ceecc38a28b9f72a2d085ee438b7813e928d0c7',
  ],
  [
    'com/google/code/gson/gson/2.10.1/gson-2.10.1.jar',
    '4241c14a7727c34feea6507ec801318a3d4a90f070e4525681079fb94ee4c593',
  ],
  [
    'com/google/errorprone/error_prone_annotations/2.18.0/error_prone_annotations-2.18.0.jar',
    '9e6814cb71816988a4fd1b07a993a8f21bb7058d522c162b1de849e19bea54ae',
  ],
  [
    'com/google/guava/failureaccess/1.0.1/failureaccess-1.0.1.jar',
    'a171ee4c734dd2da837e4b16be9df4661afab72a41adaf31eb84dfdaf936ca26',
  ],
  [
    'com/google/guava/guava/32.0.1-jre/guava-32.0.1-jre.jar',
    'bd7fa227591fb8509677d0d1122cf95158f3b8a9f45653f58281d879f6dc48c5',
  ],
  [
    'com/google/guava/listenablefuture/9999.0-empty-to-avoid-conflict-with-guava/listenablefuture-9999.0-empty-to-avoid-conflict-with-guava.jar',
    'b372a037d4230aa57fbeffdef30fd6123f9c0c2db85d0aced00c91b974f33f99',
  ],
  [
    'com/google/j2objc/j2objc-annotations/2.8/j2objc-annotations-2.8.jar',
    'f02a95fa1a5e95edb3ed859fd0fb7df709d121a35290eff8b74dce2ab7f4d6ed',
  ],
  [
    'com/google/protobuf/protobuf-java-util/3.25.7/protobuf-java-util-3.25.7.jar',
    'deb758b7a87d6b8f55e44fd55582b8b6a610cfcdbb9314f9fb46c5490fdd37d9',
  ],
  [
    'com/google/protobuf/protobuf-java/3.25.7/protobuf-java-3.25.7.jar',
    '1e312470eae15e3921d5b151897099db1c3d84cade8a94e73468b7b4ad35c30c',
  ],
  [
    'com/uber/m3/tally-core/0.13.0/tally-core-0.13.0.jar',
    'b3ccc572be36be91c47447c7778bc141a74591279cdb40224882e8ac8271b58b',
  ],
  ['io/grpc/grpc-api/1.58.1/grpc-api-1.58.1.jar', '2c33a813c63aa2c8e4db2231e4c244c8bbd1c8d9eefb8758633bc4dffb124c48'],
  [
    'io/grpc/grpc-context/1.58.1/grpc-context-1.58.1.jar',
    'd6e186190aa20fe1dbc8343fa7d7f98a32b487180aab6640b230ea38fcdd3468',
  ],
  ['io/grpc/grpc-core/1.58.1/grpc-core-1.58.1.jar', '6aa73e0d8a05a9dcb110a04a4043025ec423c2c515a9ba235d833783bd4b805c'],
  [
    'io/grpc/grpc-inprocess/1.58.1/grpc-inprocess-1.58.1.jar',
    'fe90bc5a1c15830b93ad0cabf4f8f10e072cb69e80d980374fbf005d60070c5f',
  ],
  [
    'io/grpc/grpc-netty-shaded/1.58.1/grpc-netty-shaded-1.58.1.jar',
    'beb30243dda938d268ba50f2bd09d3c2af9fa1ef53c681525d8ff38fa5350cc6',
  ],
  [
    'io/grpc/grpc-protobuf-lite/1.58.1/grpc-protobuf-lite-1.58.1.jar',
    '704cff056398cfe866a4c13c56136628f7e0c7740772675d1dc184147c409c04',
  ],
  [
    'io/grpc/grpc-protobuf/1.58.1/grpc-protobuf-1.58.1.jar',
    'd9cdde8b14185b4d8941b3ac79f12f5e94c9f734d9b37ba4293cf06b9ca45644',
  ],
  [
    'io/grpc/grpc-services/1.58.1/grpc-services-1.58.1.jar',
    '2777a4f0a323ef99f04035a85b87ce58554234704b234d22d0f28afa835307b0',
  ],
  ['io/grpc/grpc-stub/1.58.1/grpc-stub-1.58.1.jar', '6a2579a2a4536f9ff6cea48a347af47207195a3396fade5f2e3be660267c1973'],
  ['io/grpc/grpc-util/1.58.1/grpc-util-1.58.1.jar', '54e7d121d4c82969d61f340559cdcba6168415b4d0e3777d3cf998da3006ce82'],
  [
    'io/micrometer/micrometer-core/1.9.9/micrometer-core-1.9.9.jar',
    'ddec1c877a32dcf4f5e6cab5efc22707975d1d7e0fb780bcffe505384c52070c',
  ],
  [
    'io/nexusrpc/nexus-sdk/0.4.0-alpha/nexus-sdk-0.4.0-alpha.jar',
    '24b4504a489aadf820888a81642aff63e376e40192cc57a3233a6b4fabdef174',
  ],
  [
    'io/perfmark/perfmark-api/0.26.0/perfmark-api-0.26.0.jar',
    'b7d23e93a34537ce332708269a0d1404788a5b5e1949e82f5535fce51b3ea95b',
  ],
  [
    'io/temporal/temporal-sdk/1.31.0/temporal-sdk-1.31.0.jar',
    '5c891bff792cca71638645f9bc096f36e31e857ad6c3a7e988ff0b454ef167f4',
  ],
  [
    'io/temporal/temporal-serviceclient/1.31.0/temporal-serviceclient-1.31.0.jar',
    'ba580c0c44af30279712059ae3c11ed9aed40871ecb7d5f45356f583a1a23853',
  ],
  [
    'io/temporal/temporal-test-server/1.31.0/temporal-test-server-1.31.0.jar',
    'c33eafa1f50af5df595f37a3c2ad8d6858a9e510034fd6c92d5bcff88cbfdcaa',
  ],
  [
    'org/checkerframework/checker-qual/3.33.0/checker-qual-3.33.0.jar',
    'e316255bbfcd9fe50d165314b85abb2b33cb2a66a93c491db648e498a82c2de1',
  ],
  [
    'org/codehaus/mojo/animal-sniffer-annotations/1.23/animal-sniffer-annotations-1.23.jar',
    '9ffe526bf43a6348e9d8b33b9cd6f580a7f5eed0cf055913007eda263de974d0',
  ],
  [
    'org/hdrhistogram/HdrHistogram/2.1.12/HdrHistogram-2.1.12.jar',
    '9b47fbae444feaac4b7e04f0ea294569e4bc282bc69d8c2ce2ac3f23577281e2',
  ],
  [
    'org/latencyutils/LatencyUtils/2.0.3/LatencyUtils-2.0.3.jar',
    'a32a9ffa06b2f4e01c5360f8f9df7bc5d9454a5d373cd8f361347fa5a57165ec',
  ],
  [
    'org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar',
    'd3ef575e3e4979678dc01bf1dcce51021493b4d11fb7f1be8ad982877c16a1c0',
  ],
];

const root = path.resolve(__dirname, '..');
const target = path.join(root, '.tools', `temporal-test-server-${VERSION}`);
const lib = path.join(target, 'lib');
const launcher = path.join(target, 'temporal-test-server');
const marker = path.join(target, '.djobs-installed');

/** An install problem: reported by `main` once the lock is released. */
class InstallError extends Error {}

function fail(message) {
  throw new InstallError(message);
}

/** The java the launcher will run: JAVA_HOME's, else the one on PATH. */
function javaCommand() {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function checkJava() {
  const res = spawnSync(javaCommand(), ['-version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0)
    fail(
      `Java was not found (${javaCommand()}); the time-skipping test server is a Java program. ` +
        'Install a JDK or JRE 8 or later (Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless), ' +
        'set JAVA_HOME, or set DJOBS_TEST_SERVER_PATH to a test server executable.'
    );
}

async function download(jar, sha256) {
  const file = path.join(lib, path.basename(jar));
  if (fs.existsSync(file) && crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') === sha256) return;
  const url = `${MAVEN_CENTRAL}/${jar}`;
  let res;
  try {
    res = await fetch(url);
  } catch (err) {
    fail(`could not download ${url}: ${err.cause?.message ?? err.message}`);
  }
  if (!res.ok) fail(`could not download ${url}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256) fail(`${url} has sha256 ${got}, expected ${sha256}`);
  const partial = `${file}.partial-${process.pid}`;
  fs.writeFileSync(partial, bytes);
  fs.renameSync(partial, file);
}

async function install() {
  console.error(
    `temporal test server not found; installing io.temporal:temporal-test-server:${VERSION} from ${MAVEN_CENTRAL} into ${target}`
  );
  fs.mkdirSync(lib, { recursive: true });
  // A few at a time: Maven Central is quick, and a failed jar ends the install with its name.
  for (let i = 0; i < JARS.length; i += 6)
    await Promise.all(JARS.slice(i, i + 6).map(([jar, sha]) => download(jar, sha)));
  // The server takes its port as the first argument; the SDK passes it. JAVA_HOME is read when the
  // launcher runs, so the install does not pin one JDK's path.
  fs.writeFileSync(
    launcher,
    '#!/bin/sh\n' +
      '# Temporal time-skipping test server (scripts/ensure-test-server.cjs): <port> [options]\n' +
      'dir=$(dirname "$0")\n' +
      'exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$dir/lib/*" io.temporal.testserver.TestServer "$@"\n',
    { mode: 0o755 }
  );
  fs.writeFileSync(marker, `${JARS.map(([jar, sha]) => `${sha}  ${jar}`).join('\n')}\n`);
}

async function main() {
  const given = process.env.DJOBS_TEST_SERVER_PATH;
  if (given) {
    if (!executable(given)) fail(`DJOBS_TEST_SERVER_PATH=${given} is not an executable file`);
    return given;
  }
  if (!fs.existsSync(marker)) {
    checkJava();
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const release = takeInstallLock(target, () => fs.existsSync(marker));
    try {
      if (!fs.existsSync(marker)) await install();
    } finally {
      release();
    }
  }
  return launcher;
}

main().then(
  (p) => process.stdout.write(`${p}\n`),
  (err) => {
    console.error(`error: ${err instanceof InstallError ? err.message : err.stack}`);
    process.exit(3);
  }
);
