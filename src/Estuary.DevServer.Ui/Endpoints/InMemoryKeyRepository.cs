using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Estuary.DevServer.Ui.Endpoints;

/// <summary>
/// Keeps the data-protection keys that sign antiforgery tokens in memory: a form only has to outlive its page, and a
/// dev server must not write keys to the user's profile.
/// </summary>
internal sealed class InMemoryKeyRepository : IXmlRepository
{
    private readonly Lock _gate = new();
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_gate)
        {
            return [.. _elements.Select(e => new XElement(e))];
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_gate)
        {
            _elements.Add(new XElement(element));
        }
    }
}
