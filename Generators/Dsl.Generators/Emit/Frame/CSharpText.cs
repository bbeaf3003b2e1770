namespace Dsl.Generators.Emit
{
    /// <summary>C# literal and doc-comment text every writer and backend needs.</summary>
    public static class CSharpText
    {
        /// <summary>A C# string literal.</summary>
        public static string Str(string s) =>
            "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";

        /// <summary>The local (and TorchScript argument) holding a parameter's tensor: p_Name, or p_Part_Name for a part's parameter "Part.Name".</summary>
        public static string ParamLocal(string name) => "p_" + name.Replace('.', '_');

        public static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
