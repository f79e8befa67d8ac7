import KRPC

/// The Lua script that brings Redis up to one ``CallCountBuffer/Batch``: exactly once, whatever was lost.
///
/// Each counter instance owns a marker hash, `krpc:flush:<instance>` (DESIGN.md "Contracts"):
/// - field `seq`: the highest batch sequence number applied;
/// - field `<counts key> <node>` (e.g. `krpc:calls:UserServiceRpc.Login 127.0.0.1:8000`): how much of
///   that hash field this instance has contributed so far.
///
/// A batch carries the instance's *totals*. For each, the script adds to the shared hash field only the
/// difference between the total and the instance's recorded contribution, and records the total; a total
/// not above the contribution changes nothing. Atomic like any Redis script, so:
/// - a batch whose reply was lost, sent again, adds nothing (no double count; why not plain pipelined
///   `HINCRBY`s: the counter cannot know whether they ran);
/// - flushes may arrive in any order (an older total is simply below the contribution);
/// - after Redis comes back from an older snapshot, its contributions are the snapshot's, so the next
///   total of each slot re-applies exactly what Redis lost — also with several servers counting into the
///   same field, each putting back its own part;
/// - the reply carries the `seq` found, so the counter sees a marker behind what Redis had confirmed
///   and sends all its slots again (``CallCountBuffer``).
///
/// Increments use `redis.pcall`, so one refused key (`WRONGTYPE`, a non-integer field) does not abort the
/// others; a refused count is recorded as contributed (it is lost, and reported as refused, not retried).
///
/// Reply: `[seqBefore, [previous contribution per total…], [index, error, index, error…]]` (1-based
/// indexes of refused increments). The marker expires after ``markerTTLSeconds`` without flushes; a running
/// counter checks it every ``RedisCallCounter/Configuration/markerCheckInterval`` even when idle, so it
/// only expires for an instance that is gone (or cut off from Redis that long: then its counts would be
/// applied again).
enum FlushScript {
    static let markerTTLSeconds = 86_400

    static let source = """
        local seq = tonumber(ARGV[1])
        local before = tonumber(redis.call('HGET', KEYS[1], 'seq')) or 0
        if seq > before then redis.call('HSET', KEYS[1], 'seq', ARGV[1]) end
        local previous = {}
        local refused = {}
        for i = 2, #KEYS do
          local own = KEYS[i] .. ' ' .. ARGV[2 * i - 1]
          local had = tonumber(redis.call('HGET', KEYS[1], own)) or 0
          local total = tonumber(ARGV[2 * i])
          previous[#previous + 1] = had
          if total > had then
            local r = redis.pcall('HINCRBY', KEYS[i], ARGV[2 * i - 1], string.format('%d', total - had))
            if type(r) == 'table' and r.err then
              refused[#refused + 1] = i - 1
              refused[#refused + 1] = r.err
            end
            redis.call('HSET', KEYS[1], own, ARGV[2 * i])
          end
        end
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return {before, previous, refused}
        """

    /// `EVAL` of the script for `batch`: `KEYS = [marker, hash…]`, `ARGV = [seq, ttl, field, total, …]`.
    static func command(for batch: CallCountBuffer.Batch, marker: String) -> RedisCommand {
        var keys = [marker]
        var arguments = [String(batch.sequence), String(Self.markerTTLSeconds)]
        for operation in batch.operations {
            let slot = batch.entries[operation.entry].slot
            keys.append(operation.isErrors ? RedisKeys.errors(slot.key) : RedisKeys.calls(slot.key))
            arguments.append(RedisKeys.field(slot.node))
            arguments.append(String(operation.total))
        }
        return RedisCommand(arguments: ["EVAL", Self.source, String(keys.count)] + keys + arguments)
    }

    /// The marker's field holding this instance's contribution to `field` of hash `key`.
    static func contributionField(key: String, field: String) -> String { "\(key) \(field)" }

    /// A refused increment: its index into ``CallCountBuffer/Batch/operations`` and Redis's error text.
    struct Refusal: Hashable, Sendable {
        var operation: Int
        var error: String
    }

    /// Reads the script's reply.
    /// - Returns: the outcome, and the refusals for logging.
    static func outcome(of reply: RedisValue) -> (CallCountBuffer.BatchOutcome, [Refusal]) {
        guard case .array(let parts) = reply, parts.count == 3, let before = parts[0].integer,
            let previous = parts[1].array, let refusedList = parts[2].array
        else {
            // An error reply (OOM, READONLY, BUSY…) or anything unexpected: the script did not run (a Redis
            // script either runs whole or, on an error before any write, not at all), so send it again.
            return (.notApplied, [])
        }
        var refusals: [Refusal] = []
        var index = 0
        while index + 1 < refusedList.count {
            if let position = refusedList[index].integer {
                let error = refusedList[index + 1].string ?? "\(refusedList[index + 1])"
                refusals.append(Refusal(operation: Int(position) - 1, error: error))
            }
            index += 2
        }
        let applied = CallCountBuffer.Applied(
            markerBefore: Int(before),
            previous: previous.map { Int($0.integer ?? 0) },
            refused: refusals.map(\.operation)
        )
        return (.applied(applied), refusals)
    }
}
