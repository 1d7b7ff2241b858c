// Opens MCAP files that shmslot wrote with readers shmslot did not write: @mcap/core's indexed
// reader over @mcap/nodejs's file handle, with @mcap/support's zstd and lz4 decompressors, and
// @mcap/core's stream reader over the whole file. Each file holds the sample that
// tests/mcap/write_sample_files writes (mcap_test_files.cpp): two channels "alpha" and "beta",
// COUNT messages alternating between them, message i with sequence i, log_time 1000+i,
// publish_time 500+i and i%97 payload bytes (i*31+k)&0xFF, one metadata record.
//
//   node check_files.js COUNT FILE...
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs/promises");
const { McapIndexedReader, McapStreamReader } = require("@mcap/core");
const { FileHandleReadable } = require("@mcap/nodejs");
const { loadDecompressHandlers } = require("@mcap/support");

function expectedPayload(i) {
  const out = Buffer.alloc(i % 97);
  for (let k = 0; k < out.length; ++k) out[k] = (i * 31 + k) & 0xff;
  return out;
}

function checkMessage(message, topicOf, index) {
  assert.equal(message.sequence, index, "sequence");
  assert.equal(topicOf.get(message.channelId), index % 2 === 0 ? "alpha" : "beta", `channel of message ${index}`);
  assert.equal(message.logTime, 1000n + BigInt(index), "log_time");
  assert.equal(message.publishTime, 500n + BigInt(index), "publish_time");
  assert.ok(Buffer.from(message.data).equals(expectedPayload(index)), `payload of message ${index}`);
}

async function checkIndexed(path, count, decompressHandlers) {
  const handle = await fs.open(path, "r");
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
    const topicOf = new Map([...reader.channelsById].map(([id, c]) => [id, c.topic]));
    assert.deepEqual([...topicOf.values()].sort(), ["alpha", "beta"], "channels");
    const alpha = [...reader.channelsById.values()].find((c) => c.topic === "alpha");
    assert.equal(alpha.metadata.get("capacity"), "128", "channel metadata");
    assert.equal(reader.statistics.messageCount, BigInt(count), "statistics message count");
    assert.ok(reader.chunkIndexes.length > 1, "several chunks");
    const compression = reader.chunkIndexes[0].compression;
    let index = 0;
    for await (const message of reader.readMessages()) {
      checkMessage(message, topicOf, index);
      ++index;
    }
    assert.equal(index, count, "messages read");
    const metadata = [];
    for await (const m of reader.readMetadata()) metadata.push(m);
    assert.equal(metadata.length, 1, "metadata records");
    assert.equal(metadata[0].name, "shmslot.recording");
    assert.equal(metadata[0].metadata.get("missed"), "0");
    return compression === "" ? "none" : compression;
  } finally {
    await handle.close();
  }
}

async function checkStream(path, count, decompressHandlers) {
  const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  reader.append(await fs.readFile(path));
  const topicOf = new Map();
  let index = 0;
  let footer = false;
  for (let record; (record = reader.nextRecord()); ) {
    if (record.type === "Channel") topicOf.set(record.id, record.topic);
    if (record.type === "Message") checkMessage(record, topicOf, index++);
    if (record.type === "Footer") footer = true;
  }
  assert.ok(reader.done(), "the stream reader reached the end");
  assert.ok(footer, "footer");
  assert.equal(index, count, "messages streamed");
}

async function main() {
  const [countText, ...files] = process.argv.slice(2);
  const count = Number(countText);
  assert.ok(Number.isInteger(count) && files.length > 0, "usage: node check_files.js COUNT FILE...");
  const decompressHandlers = await loadDecompressHandlers();
  for (const path of files) {
    const compression = await checkIndexed(path, count, decompressHandlers);
    await checkStream(path, count, decompressHandlers);
    console.log(`ok ${path}: ${count} messages, chunks compressed with ${compression}`);
  }
}

main().catch((error) => {
  console.error(`check_files.js: ${error.stack ?? error}`);
  process.exit(1);
});
