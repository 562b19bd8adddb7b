using System.Buffers.Text;
using System.Security.Cryptography;

namespace Estuary.Temporal.Encryption;

/// <summary>The AES-256 keys a codec may use, by id, and the one that encrypts new payloads.</summary>
public sealed class PayloadKeyRing
{
    /// <summary>The size of an AES-256 key in bytes.</summary>
    public const int KeySize = 32;

    private readonly Dictionary<string, byte[]> _keys;

    /// <summary>Initializes a new instance of the <see cref="PayloadKeyRing"/> class.</summary>
    /// <param name="activeKeyId">The id of the key that encrypts new payloads; it must be among <paramref name="keys"/>.</param>
    /// <param name="keys">Every key by id, the active one and those retired that old payloads were written under.</param>
    /// <exception cref="ArgumentException">The active key is missing, a key id is invalid or a key is not 32 bytes.</exception>
    public PayloadKeyRing(string activeKeyId, IReadOnlyDictionary<string, byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id))
            {
                throw new ArgumentException($"Key id '{id}' is not 1 to 64 letters, digits, '-', '_' or '.'.", nameof(keys));
            }

            if (key.Length != KeySize)
            {
                throw new ArgumentException($"Key '{id}' has {key.Length} bytes; an AES-256 key has {KeySize}.", nameof(keys));
            }
        }

        if (!keys.ContainsKey(activeKeyId))
        {
            throw new ArgumentException($"The active key '{activeKeyId}' is not among the keys.", nameof(activeKeyId));
        }

        ActiveKeyId = activeKeyId;
        _keys = keys.ToDictionary(k => k.Key, k => k.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Gets the id of the key that encrypts new payloads.</summary>
    public string ActiveKeyId { get; }

    /// <summary>Gets the ids of every key, active and retired.</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Creates a fresh random AES-256 key, base64 encoded, as configuration holds it.</summary>
    /// <returns>44 characters of base64.</returns>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeySize));

    /// <summary>Whether <paramref name="id"/> can name a key (it travels in every payload's metadata).</summary>
    /// <param name="id">The candidate id.</param>
    /// <returns>True for 1 to 64 ASCII letters, digits, '-', '_' or '.'.</returns>
    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Decodes a base64 key; null when it is not base64 of exactly 32 bytes.</summary>
    /// <param name="base64">The configured value.</param>
    /// <returns>The key bytes, or null.</returns>
    public static byte[]? ParseKey(string base64)
    {
        var value = base64.Trim();
        if (!Base64.IsValid(value, out var length) || length != KeySize)
        {
            return null;
        }

        return Convert.FromBase64String(value);
    }

    /// <summary>The key named <paramref name="id"/>, or null when the ring does not hold it.</summary>
    /// <param name="id">A key id from a payload's metadata.</param>
    /// <returns>The key bytes, or null.</returns>
    internal byte[]? Find(string id) => _keys.GetValueOrDefault(id);
}
