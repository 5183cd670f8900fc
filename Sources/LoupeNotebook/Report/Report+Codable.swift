import Foundation

/// A report is `{"title": …, "authors": […], "description": …, "cells": […], "provenance": …}`;
/// `description` is absent when `nil`.
extension Report: Codable {
    enum CodingKeys: String, CodingKey {
        case title, authors, description, cells, provenance
    }

    /// Decodes a report written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key or a value of the wrong type, here or in any
    ///   cell.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            title: try container.decode(String.self, forKey: .title),
            authors: try container.decode([String].self, forKey: .authors),
            description: try container.decodeIfPresent(String.self, forKey: .description),
            cells: try container.decode([CellResult].self, forKey: .cells),
            provenance: try container.decode(Provenance.self, forKey: .provenance)
        )
    }

    /// Encodes the report and everything in it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(title, forKey: .title)
        try container.encode(authors, forKey: .authors)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(cells, forKey: .cells)
        try container.encode(provenance, forKey: .provenance)
    }
}

/// A cell result is `{"id": …, "heading": …, "source": …, "outputs": […], "duration": …,
/// "cached": …, "status": …}`; `heading` and `duration` are absent when `nil`.
///
/// `duration` is a number of seconds, or `"nan"`, `"inf"` or `"-inf"` when it is not finite.
/// `outputs` holds ``CellOutput``s, `status` a ``Status``.
extension CellResult: Codable {
    enum CodingKeys: String, CodingKey {
        case id, heading, source, outputs, duration, cached, status
    }

    /// Decodes a cell result written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key, a value of the wrong type or a bad output.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            heading: try container.decodeIfPresent(String.self, forKey: .heading),
            source: try container.decode(String.self, forKey: .source),
            outputs: try container.decode([CellOutput].self, forKey: .outputs),
            duration: try container.decodeFloatingPointIfPresent(Double.self, forKey: .duration),
            cached: try container.decode(Bool.self, forKey: .cached),
            status: try container.decode(Status.self, forKey: .status)
        )
    }

    /// Encodes the cell result and its outputs.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(heading, forKey: .heading)
        try container.encode(source, forKey: .source)
        try container.encode(outputs, forKey: .outputs)
        if let duration {
            try container.encodeFloatingPoint(duration, forKey: .duration)
        }
        try container.encode(cached, forKey: .cached)
        try container.encode(status, forKey: .status)
    }
}

/// A status is `{"kind": "ok"}`, `{"kind": "failed", "message": …}` or
/// `{"kind": "skipped", "reason": …}`; an unknown `kind` throws `DecodingError`.
extension CellResult.Status: Codable {
    enum Kind: String, Codable {
        case ok, failed, skipped
    }

    enum CodingKeys: String, CodingKey {
        case kind, message, reason
    }

    /// Decodes a status written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for an unknown `kind` or a missing message or reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .ok: self = .ok
        case .failed: self = .failed(try container.decode(String.self, forKey: .message))
        case .skipped: self = .skipped(try container.decode(String.self, forKey: .reason))
        }
    }

    /// Encodes the status as `{"kind": …}` with its message or reason.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ok:
            try container.encode(Kind.ok, forKey: .kind)
        case let .failed(message):
            try container.encode(Kind.failed, forKey: .kind)
            try container.encode(message, forKey: .message)
        case let .skipped(reason):
            try container.encode(Kind.skipped, forKey: .kind)
            try container.encode(reason, forKey: .reason)
        }
    }
}

/// Provenance is `{"loupeVersion": …, "models": [{"name", "sha256"}…], "images": [{"path",
/// "sha256"}…]}`.
extension Provenance: Codable {
    enum CodingKeys: String, CodingKey {
        case loupeVersion, models, images
    }

    /// Decodes provenance written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key or a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            loupeVersion: try container.decode(String.self, forKey: .loupeVersion),
            models: try container.decode([Model].self, forKey: .models),
            images: try container.decode([Image].self, forKey: .images)
        )
    }

    /// Encodes the version and the model and image lists in order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(loupeVersion, forKey: .loupeVersion)
        try container.encode(models, forKey: .models)
        try container.encode(images, forKey: .images)
    }
}

/// A model entry is `{"name": …, "sha256": …}`.
extension Provenance.Model: Codable {
    enum CodingKeys: String, CodingKey {
        case name, sha256
    }

    /// Decodes a model entry written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key or a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try container.decode(String.self, forKey: .name), sha256: try container.decode(String.self, forKey: .sha256))
    }

    /// Encodes the name and hash.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(sha256, forKey: .sha256)
    }
}

/// An image entry is `{"path": …, "sha256": …}`.
extension Provenance.Image: Codable {
    enum CodingKeys: String, CodingKey {
        case path, sha256
    }

    /// Decodes an image entry written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key or a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try container.decode(String.self, forKey: .path), sha256: try container.decode(String.self, forKey: .sha256))
    }

    /// Encodes the path and hash.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(sha256, forKey: .sha256)
    }
}
