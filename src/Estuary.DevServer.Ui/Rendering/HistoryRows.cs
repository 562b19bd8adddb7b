using System.Globalization;
using System.Text;
using Temporalio.Api.History.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>
/// The rows of the compact history table, written straight to HTML. A long history is thousands of rows, and
/// Razor's render tree (about 30 frames a row) made a 10,000-event page cost ~200 ms of CPU; written here it is a
/// few percent of that. Every value is escaped (<see cref="AppendText"/>).
/// </summary>
internal static class HistoryRows
{
    /// <summary>Rows per piece of HTML: small enough that no piece lands on the large-object heap.</summary>
    private const int RowsPerChunk = 64;

    /// <summary>The rows' HTML in pieces of <see cref="RowsPerChunk"/> rows, in order.</summary>
    public static IEnumerable<string> Chunks(IReadOnlyList<HistoryEvent> events)
    {
        for (var start = 0; start < events.Count; start += RowsPerChunk)
        {
            yield return Html(events, start, Math.Min(RowsPerChunk, events.Count - start));
        }
    }

    /// <summary>The HTML of <paramref name="count"/> rows from <paramref name="start"/>.</summary>
    public static string Html(IReadOnlyList<HistoryEvent> events, int start, int count)
    {
        var html = new StringBuilder(count * 400);
        for (var index = start; index < start + count; index++)
        {
            var e = events[index];
            var id = e.EventId.ToString(CultureInfo.InvariantCulture);
            // The link is relative to …/{runId}/history; the page's script opens the event's JSON in place.
            html.Append("<tr><td class=\"event-id\"><a class=\"expand\" href=\"history/events/").Append(id).Append("\">").Append(id)
                .Append("</a></td><td class=\"time\">");
            AppendText(html, Format.PreciseTime(e.EventTime));
            html.Append("</td><td class=\"event-type ").Append(EventSummary.Category(e)).Append("\">");
            AppendText(html, EventSummary.TypeName(e));
            html.Append("</td><td class=\"event-details\">");
            foreach (var (label, value) in EventSummary.Of(e))
            {
                html.Append("<span class=\"field\"><span class=\"label\">");
                AppendText(html, label);
                html.Append("</span> ");
                AppendText(html, value);
                html.Append("</span>");
            }
            html.Append("</td></tr>");
        }
        return html.ToString();
    }

    /// <summary>Appends <paramref name="text"/> as element content: &amp;, &lt; and &gt; escaped (quotes need no escaping there).</summary>
    public static void AppendText(StringBuilder html, string text)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var escaped = text[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                _ => null,
            };
            if (escaped is not null)
            {
                html.Append(text, start, i - start).Append(escaped);
                start = i + 1;
            }
        }
        html.Append(text, start, text.Length - start);
    }
}
