import Foundation

/// What an input path names, followed through symbolic links, so that an error can say "is a
/// directory" or "is a device" instead of Foundation's "cannot be read" or permission message.
public enum FileKind: Sendable, Equatable {
    case missing, regular, directory
    /// A device, pipe or socket.
    case special

    public static func of(_ path: String) -> FileKind {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let type = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType else {
            return .missing
        }
        switch type {
        case .typeRegular: return .regular
        case .typeDirectory: return .directory
        default: return .special
        }
    }
}
