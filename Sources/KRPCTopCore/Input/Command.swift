/// What a key asks the dashboard to do. The ``KeyMap`` maps keys to commands; ``ViewState/apply(_:)``
/// carries them out, returning ``Effect``s for the ones that reach outside the view.
public enum Command: Sendable, Hashable, CaseIterable {
    /// Select the node above.
    case selectPrevious
    /// Select the node below.
    case selectNext
    /// Move the selection one screen up.
    case pageUp
    /// Move the selection one screen down.
    case pageDown
    /// Select the first node.
    case selectFirst
    /// Select the last node.
    case selectLast
    /// Inject `error` on the selected node.
    case injectError
    /// Inject `timeout` on the selected node.
    case injectTimeout
    /// Inject `delay:<ms>` on the selected node.
    case injectDelay
    /// Clear the selected node's fault.
    case clearFault
    /// Cut the selected node off from this client's host (the demo's hosts mode).
    case partitionNode
    /// Heal the selected node's partition from this client's host (the demo's hosts mode).
    case healNode
    /// Raise the target call rate one step.
    case increaseRate
    /// Lower the target call rate one step.
    case decreaseRate
    /// Pause or resume the load generator.
    case togglePause
    /// Switch to the next load balancer.
    case cycleBalancer
    /// Sort the table by the next key (address, state, errors, latency, redis calls).
    case cycleSort
    /// Start typing an address filter.
    case beginFilter
    /// Switch to the next theme.
    case cycleTheme
    /// Show or hide the key help.
    case toggleHelp
    /// Close the help overlay, or else clear the filter, or else go back one screen.
    case dismiss
    /// Open the selected row: a method's node view from the services view, a node's detail from the node view.
    case open
    /// Quit krpc-top.
    case quit
    /// Move the keyboard focus between the node table and the event log (Tab).
    case toggleLogFocus
}
