namespace Dsl.Generators.Emit
{
    /// <summary>C# literal and doc-comment text every writer and backend needs.</summary>
    public static class CSharpText
    {
        /// <summary>A C# string literal.</summary>
        public static string Str(string s) =>
            "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";

        public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
