import Foundation
import KRPCPolicy

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The hosts mode's network faults, run from krpc-top's `p` and `h` keys: `<demo-cluster>/fault <node> partition
/// --from <host>` cuts the node off from this client's host, `… heal --from <host>` undoes it. The script's command
/// line is the contract (`demo-cluster/fault`); krpc-top only runs it.
///
/// Each run gets a thread of its own (the script blocks for a moment: `ip route` in two namespaces), never the UI
/// thread nor the Swift pool. The child is spawned with `posix_spawn`, an empty signal mask and default handlers
/// (a child started from a thread that blocks signals would inherit the block, PLATFORM.md), in a process group
/// of its own (a Ctrl-C for krpc-top is not its), stdin from `/dev/null` and its output into a pipe, so nothing it
/// prints reaches the dashboard's terminal.
struct DemoNetworkFault: Sendable {
    /// What to do to the node.
    enum Action: String, Sendable {
        case partition, heal
    }

    /// The outcome of one run.
    struct Outcome: Sendable, Hashable {
        /// The exit status (128 + signal when a signal ended it); `nil` when it could not be started.
        var status: Int32?
        /// The script's last line of output (or why it could not be started).
        var message: String
    }

    /// The `demo-cluster` folder (`--demo-cluster`).
    var directory: String
    /// This client's host in the demo (`--client-host`).
    var host: String

    /// `fault <node> <action> --from <host>`: the script and its arguments.
    func command(_ action: Action, node: NodeAddress) -> [String] {
        [self.directory + "/fault", node.description, action.rawValue, "--from", self.host]
    }

    /// Runs `action` on `node` on a thread of its own and hands the outcome to `done` (on that thread).
    func start(_ action: Action, node: NodeAddress, done: @escaping @Sendable (Outcome) -> Void) {
        let command = self.command(action, node: node)
        let thread = Thread { done(Self.run(command)) }
        thread.name = "krpc-top-demo-fault"
        thread.start()
    }

    /// Runs `command` to its end (blocking) and returns its status and last line of output.
    static func run(_ command: [String]) -> Outcome {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            return Outcome(status: nil, message: "cannot run \(command[0]): pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        // Neither end leaks into the child beyond its stdout and stderr (dup2 clears the flag on those).
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv = command.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        close(writeEnd)
        guard rc == 0 else {
            close(readEnd)
            return Outcome(status: nil, message: "cannot run \(command[0]): \(String(cString: strerror(rc)))")
        }
        // Read to the end (the script's output is a few lines), then reap it.
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(readEnd, &buffer, buffer.count)
            if n > 0 {
                output += buffer[0..<n]
                if output.count > 65536 { output.removeFirst(output.count - 65536) }
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(readEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        let lines = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline)
        var last = lines.last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        if last.hasPrefix("demo: ") { last.removeFirst("demo: ".count) }
        return Outcome(status: code, message: last.isEmpty ? "exit status \(code)" : last)
    }
}
