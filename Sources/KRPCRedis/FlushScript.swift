import KRPC

/// The Lua script that applies one ``CallCountBuffer/Batch`` exactly once.
///
/// Why a script and not plain pipelined `HINCRBY`s or `MULTI`/`EXEC`: when the connection breaks after
/// Redis ran the increments but before their reply arrived, the counter cannot know they ran, and
/// re-sending them would count twice. Each counter instance owns a marker key
/// (`krpc:flush:<instance>`) holding the sequence number of the last batch it applied; the script,
/// atomic like any Redis script, checks and advances it together with the increments:
/// - `seq <= last`: applied before (the reply was lost) → returns `-1`, changes nothing;
/// - `seq > last + 1`: an earlier batch has not been applied (it was refused) → returns `-2`, changes
///   nothing, so batches never apply out of order and the sequence check stays sound;
/// - otherwise (or no marker yet): sets the marker to `seq`, applies every increment and returns the
///   1-based indexes and error texts of the increments Redis refused (`WRONGTYPE`, a non-integer field),
///   as a flat array `[index, error, index, error, …]` (empty when all applied).
///
/// Increments use `redis.pcall`, so one refused key does not abort the others (a script error midway
/// would leave the earlier writes in place without advancing the marker). The marker expires after
/// ``markerTTLSeconds`` without flushes: a lost reply re-sent after more than that could count twice.
enum FlushScript {
    static let markerTTLSeconds = 86_400

    static let source = """
        local seq = tonumber(ARGV[1])
        local marker = redis.call('GET', KEYS[1])
        if marker then
          local last = tonumber(marker)
          if last then
            if seq <= last then return -1 end
            if seq > last + 1 then return -2 end
          end
        end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        local refused = {}
        for i = 2, #KEYS do
          local r = redis.pcall('HINCRBY', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i])
          if type(r) == 'table' and r.err then
            refused[#refused + 1] = i - 1
            refused[#refused + 1] = r.err
          end
        end
        return refused
        """

    /// `EVAL` of the script for `batch`: `KEYS = [marker, hash…]`, `ARGV = [seq, ttl, field, n, field, n…]`.
    static func command(for batch: CallCountBuffer.Batch, marker: String) -> RedisCommand {
        var keys = [marker]
        var arguments = [String(batch.sequence), String(Self.markerTTLSeconds)]
        for operation in batch.operations {
            let slot = batch.entries[operation.entry].slot
            keys.append(operation.isErrors ? RedisKeys.errors(slot.key) : RedisKeys.calls(slot.key))
            arguments.append(RedisKeys.field(slot.node))
            arguments.append(String(operation.amount))
        }
        return RedisCommand(arguments: ["EVAL", Self.source, String(keys.count)] + keys + arguments)
    }

    /// A refused increment: its index into ``CallCountBuffer/Batch/operations`` and Redis's error text.
    struct Refusal: Hashable, Sendable {
        var operation: Int
        var error: String
    }

    /// Reads the script's reply.
    /// - Returns: the outcome, and the refusals for logging.
    static func outcome(of reply: RedisValue) -> (CallCountBuffer.BatchOutcome, [Refusal]) {
        switch reply {
        case .integer(-1):
            return (.alreadyApplied, [])
        case .array(let elements):
            var refusals: [Refusal] = []
            var index = 0
            while index + 1 < elements.count {
                if let position = elements[index].integer {
                    refusals.append(
                        Refusal(
                            operation: Int(position) - 1, error: elements[index + 1].string ?? "\(elements[index + 1])")
                    )
                }
                index += 2
            }
            return (.applied(rejected: refusals.map(\.operation)), refusals)
        default:
            // -2 (an earlier batch missing), an error reply (OOM, READONLY, BUSY…), anything unexpected:
            // nothing was applied (the marker did not move), so send it again later.
            return (.notApplied, [])
        }
    }
}
