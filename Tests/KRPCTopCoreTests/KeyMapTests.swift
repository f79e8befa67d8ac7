import Testing
@testable import KRPCTopCore

@Suite("Key map")
struct KeyMapTests {
    @Test("every command has a key, and no key triggers two commands")
    func complete() {
        let map = KeyMap.standard
        for command in Command.allCases {
            #expect(map.bindings.contains { $0.command == command }, "\(command) has no key")
        }
        let keys = map.bindings.flatMap(\.keys)
        #expect(Set(keys).count == keys.count)
        for binding in map.bindings {
            for key in binding.keys { #expect(map.command(for: key) == binding.command) }
        }
    }

    @Test("the keys issue 7 asks for")
    func issueKeys() {
        let map = KeyMap.standard
        let expected: [(Key, Command)] = [
            (.up, .selectPrevious), (.character("k"), .selectPrevious), (.down, .selectNext),
            (.character("j"), .selectNext), (.character("e"), .injectError), (.character("t"), .injectTimeout),
            (.character("d"), .injectDelay), (.character("c"), .clearFault), (.character("+"), .increaseRate),
            (.character("-"), .decreaseRate), (.character(" "), .togglePause), (.character("b"), .cycleBalancer),
            (.character("s"), .cycleSort), (.character("/"), .beginFilter), (.character("T"), .cycleTheme),
            (.character("?"), .toggleHelp), (.character("q"), .quit), (.control("c"), .quit),
        ]
        for (key, command) in expected { #expect(map.command(for: key) == command, "\(key)") }
    }

    @Test("labels and hints come from the same table")
    func labels() {
        let map = KeyMap.standard
        #expect(map.hints.first?.label(ascii: false) == "q/^C")
        #expect(map.hints.dropFirst().first?.label(ascii: false) == "?")
        #expect(map.bindings[0].label(ascii: false) == "↑/k")
        #expect(map.bindings[0].label(ascii: true) == "Up/k")
        #expect(Key.character(" ").label(ascii: true) == "space")
        // A custom table drives the bar too.
        var view = Fixtures.view(width: 40, height: 10) {
            $0.configuration.keyMap = KeyMap([KeyBinding([.character("x")], .quit, help: "leave", hint: "leave")])
        }
        #expect(view.feed(.key(.character("q"))).isEmpty)
        #expect(view.feed(.key(.character("x"))) == [.quit])
        #expect(Renderer.render(view).lines[9] == "x leave  sort address")
    }
}
