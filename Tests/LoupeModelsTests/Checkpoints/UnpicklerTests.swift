import Foundation
import Testing

@testable import LoupeModels

extension CheckpointTests {
    /// The pickle virtual machine on pickles that Python itself wrote.
    @Suite struct UnpicklerTests {
        /// Bytes from a hex string.
        static func bytes(_ hex: String) -> [UInt8] {
            var result: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
                result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
                index = next
            }
            return result
        }

        /// Runs one pickle and hands its value to `body` while the arena is alive.
        func unpickle<R>(_ bytes: [UInt8], _ body: (PickleValue) throws -> R) throws -> R {
            try bytes.withUnsafeBytes { raw in
                try PickleArena.with { arena in
                    var reader = ByteReader(raw, file: "test.pkl")
                    let value = try Unpickler(file: "test.pkl", arena: arena) { id in
                        throw ModelError.unsupportedPickle(file: "test.pkl", detail: "persistent id \(id.summary)")
                    }.load(from: &reader)
                    #expect(reader.isAtEnd)
                    return try body(value)
                }
            }
        }

        /// `pickle.dumps(OrderedDict(a=(1, -2, 300, -70000, 3.5, True, False, None, 'é', [1, 2],
        /// 2**70, -2**63, 2**63 - 1, -1)), protocol=p)` for p = 2, 3, 4, 5.
        static let orderedDicts = [
            "800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271015801000000617102284b014afeffffff4d2c014a90eefeff47400c00000000000088894e5802000000c3a971035d7104284b014b02658a090000000000000000408a0800000000000000808a08ffffffffffffff7f4affffffff747105732e",
            "800363636f6c6c656374696f6e730a4f726465726564446963740a7100295271015801000000617102284b014afeffffff4d2c014a90eefeff47400c00000000000088894e5802000000c3a971035d7104284b014b02658a090000000000000000408a0800000000000000808a08ffffffffffffff7f4affffffff747105732e",
            "80049576000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016194284b014afeffffff4d2c014a90eefeff47400c00000000000088894e8c02c3a9945d94284b014b02658a090000000000000000408a0800000000000000808a08ffffffffffffff7f4affffffff7494732e",
            "80059576000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016194284b014afeffffff4d2c014a90eefeff47400c00000000000088894e8c02c3a9945d94284b014b02658a090000000000000000408a0800000000000000808a08ffffffffffffff7f4affffffff7494732e",
        ]

        @Test(arguments: orderedDicts)
        func readsEveryProtocol(_ hex: String) throws {
            try unpickle(Self.bytes(hex)) { value in
                guard case let .dict(dict) = value, let tuple = dict["a"]?.sequenceItems else {
                    Issue.record("expected an OrderedDict holding a tuple, got \(value.summary)")
                    return
                }
                #expect(tuple.count == 14)
                #expect(tuple[0].intValue == 1 && tuple[1].intValue == -2 && tuple[2].intValue == 300 && tuple[3].intValue == -70000)
                if case let .float(number) = tuple[4] { #expect(number == 3.5) } else { Issue.record("not a float: \(tuple[4].summary)") }
                if case .bool(true) = tuple[5], case .bool(false) = tuple[6], case .none = tuple[7] {} else { Issue.record("constants") }
                #expect(tuple[8].stringValue == "é")
                #expect(tuple[9].sequenceItems?.compactMap(\.intValue) == [1, 2])
                if case let .bigInt(bytes) = tuple[10] { #expect(bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0x40]) } else { Issue.record("2**70") }
                #expect(tuple[11].intValue == Int.min && tuple[12].intValue == Int.max && tuple[13].intValue == -1)
            }
        }

        @Test func readsBytesSetsAndFrozensetsOfProtocol5() throws {
            // pickle.dumps((b'xy', {1, 2}, frozenset([3]), bytearray(b'z')), protocol=5)
            let hex = "80059521000000000000002843027879948f94284b014b0290284b0391949601000000000000007a9474942e"
            try unpickle(Self.bytes(hex)) { value in
                let items = value.sequenceItems ?? []
                guard items.count == 4, case let .bytes(first) = items[0], case let .bytes(last) = items[3] else {
                    Issue.record("got \(value.summary)")
                    return
                }
                #expect(first == Array("xy".utf8) && last == Array("z".utf8))
                #expect(items[1].sequenceItems?.compactMap(\.intValue) == [1, 2])
                #expect(items[2].sequenceItems?.compactMap(\.intValue) == [3])
            }
        }

        @Test func refusesBuiltinsEvenHarmlessOnes() {
            // pickle.dumps({1}, protocol=2) calls __builtin__.set.
            let set = Self.bytes("8002635f5f6275696c74696e5f5f0a7365740a71005d71014b01618571025271032e")
            #expect(throws: ModelError.forbiddenGlobal(file: "test.pkl", module: "__builtin__", name: "set")) {
                try unpickle(set) { _ in () }
            }
            // STACK_GLOBAL of builtins.getattr.
            let getattr: [UInt8] =
                [0x80, 0x04, 0x8C, 0x08] + Array("builtins".utf8) + [0x8C, 0x07] + Array("getattr".utf8) + [0x93, 0x2E]
            #expect(throws: ModelError.forbiddenGlobal(file: "test.pkl", module: "builtins", name: "getattr")) {
                try unpickle(getattr) { _ in () }
            }
        }

        @Test func torchScriptClassesNeedATorchScriptArchive() {
            let record: [UInt8] = [0x80, 0x02, 0x63] + Array("__torch__\nM\n".utf8) + [0x29, 0x81, 0x2E]
            #expect(throws: ModelError.forbiddenGlobal(file: "test.pkl", module: "__torch__", name: "M")) {
                try unpickle(record) { _ in () }
            }
        }

        @Test func integersOfAnyWidth() {
            #expect(Unpickler.integer(littleEndian: []).intValue == 0)
            #expect(Unpickler.integer(littleEndian: [0xFF]).intValue == -1)
            #expect(Unpickler.integer(littleEndian: [0xFF, 0x00]).intValue == 255)
            #expect(Unpickler.integer(littleEndian: [0x00, 0x80]).intValue == -32768)
            #expect(Unpickler.integer(littleEndian: [0x01] + [UInt8](repeating: 0, count: 12)).intValue == 1)
            #expect(Unpickler.integer(littleEndian: [0xFE] + [UInt8](repeating: 0xFF, count: 12)).intValue == -2)
            if case .bigInt = Unpickler.integer(littleEndian: TorchLegacy.magic) {} else { Issue.record("the magic number fits no Int") }
        }

        @Test func zipChecksumMatchesZlib() {
            #expect(Array("123456789".utf8).withUnsafeBytes { ZipChecksum.checksum($0) } == 0xCBF4_3926)
            #expect([UInt8]().withUnsafeBytes { ZipChecksum.checksum($0) } == 0)
            let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            var crc: UInt32 = 0xFFFF_FFFF  // a byte at a time, for reference
            for byte in long {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            #expect(long.withUnsafeBytes { ZipChecksum.checksum($0) } == crc ^ 0xFFFF_FFFF)
            // In pieces, as entries are read: the same checksum.
            var pieces: UInt32 = 0
            for start in stride(from: 0, to: long.count, by: 333) {
                pieces = long[start..<min(start + 333, long.count)].withUnsafeBytes { ZipChecksum.checksum($0, after: pieces) }
            }
            #expect(pieces == crc ^ 0xFFFF_FFFF)
        }
    }
}
