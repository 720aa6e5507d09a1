import FluxCore
import FluxDocuments

/// A failed operation of the service, with the category a door maps to its own status codes
/// (REST status, MCP isError, CLI exit code) and a message that says what to do.
public struct ServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case invalidInput = "invalid_input"
        case invalidDocument = "invalid_document"
        case notFound = "not_found"
        case conflict = "conflict"
        case tooLarge = "too_large"
        case unauthorized = "unauthorized"
        /// The caller is known but may not do this (a document requesting secrets from a caller who may not use them).
        case forbidden = "forbidden"
        case unavailable = "unavailable"
        case internalError = "internal"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Translates engine, document and store errors into service errors; anything else is internal.
    public static func wrap(_ error: any Error) -> ServiceError {
        switch error {
        case let e as ServiceError: return e
        case let e as DocumentValidationError: return ServiceError(.invalidDocument, e.description)
        case let e as EngineError:
            switch e {
            case .executionNotFound, .workflowNotFound: return ServiceError(.notFound, e.description)
            case .notPaused, .alreadyFinished, .workflowMismatch: return ServiceError(.conflict, e.description)
            case .invalidInput: return ServiceError(.invalidInput, e.description)
            default: return ServiceError(.internalError, e.description)
            }
        case let e as PauseSelectionError:
            switch e {
            case .notPending: return ServiceError(.notFound, e.description)
            case .notNamed: return ServiceError(.conflict, e.description)
            }
        case let e as SecretError:
            switch e {
            case .missing: return ServiceError(.notFound, e.description)
            case .invalidName, .weakEncryptionKey, .invalidGrant: return ServiceError(.invalidInput, e.description)
            case .notGranted: return ServiceError(.forbidden, e.description)
            case .noEncryptionKey, .cannotDecrypt: return ServiceError(.unavailable, e.description)
            }
        case let e as StoreError:
            switch e {
            case .executionNotFound: return ServiceError(.notFound, e.description)
            case .duplicateExecution, .staleClaim: return ServiceError(.conflict, e.description)
            default: return ServiceError(.unavailable, e.description)
            }
        case let e as JSONParseError: return ServiceError(.invalidInput, e.description)
        case let e as StoreFactoryError:
            switch e {
            case .malformedURL: return ServiceError(.invalidInput, e.description)
            case .serverUnavailable: return ServiceError(.unavailable, e.description)
            }
        default: return ServiceError(.internalError, String(describing: error))
        }
    }
}
