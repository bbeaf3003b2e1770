using System.Collections.Generic;
using System.Linq;
using Dsl.Symbolic.Ir;
using static Dsl.Generators.Emit.CSharpText;

namespace Dsl.Generators.Emit
{
    /// <summary>
    /// The members more than one kind of generated class has (energy models, bipartite models, flows, divergences): the sized
    /// constructor with its registered parameters, the parameter locals a method body reads, and the names of unit types and checks.
    /// </summary>
    public static class SharedMembers
    {
        private const string Torch = RuntimeNames.Torch.Name;

        internal static void EmitConstructor(SourceWriter w, Model.ModelSpec spec, IReadOnlyList<string> sizes)
        {
            foreach (var size in sizes) w.Line("private readonly long size_" + size + ";");
            w.Line();
            w.Line("/// <summary>Creates " + spec.ClassName + " for the given dimension sizes; parameters are registered with TorchSharp");
            w.Line("/// and initialised from <paramref name=\"generator\"/> unless their [Param] declares Init.</summary>");
            foreach (var size in sizes) w.Line("/// <param name=\"" + size + "\">The size of dimension " + size + (size == spec.DimSymbol ? " (the dimension of x)" : "") + ".</param>");
            w.Line("/// <param name=\"generator\">Random source for the initial parameter values (seed it for reproducible models).</param>");
            string args = string.Join(", ", sizes.Select(s => "int " + s));
            w.Line("public " + spec.ClassName + "(" + args + ", " + Torch + ".Generator? generator = null)");
            // x's size: its name, or a size expression over the constructor's sizes ("2*D": (int)(2L * D)).
            string inputSize = sizes.Contains(spec.DimSymbol) ? spec.DimSymbol : "(int)" + SizeExpr.ToCode(SizeExpr.Canonical(spec.DimSymbol), s => s);
            w.Line("    : base(" + Str(spec.ClassName) + ", " + RuntimeNames.BaseMembers.CheckSize + "(" + Str(spec.ClassName) + ", " + Str(spec.DimSymbol) + ", " + inputSize + "))");
            w.Open();
            foreach (var size in sizes)
                w.Line("size_" + size + " = " + RuntimeNames.BaseMembers.CheckSize + "(" + Str(spec.ClassName) + ", " + Str(size) + ", " + size + ");");
            foreach (var p in spec.Params)
            {
                if (p.Part != null) continue;   // registered by its part
                string shape = "new long[] { " + string.Join(", ", p.Dims.Select(TensorCodeEmitter.SizeCode)) + " }";
                if (p.Rank == 0) shape = "System.Array.Empty<long>()";
                w.Line(RuntimeNames.BaseMembers.RegisterParam + "(" + Str(p.Name) + ", " + shape + ", " + TensorCodeEmitter.Literal(p.Init) + ", generator);");
            }
            // Composition: each part is created with this model's sizes and registered as a submodule (its parameters are "Part.Name").
            foreach (var part in spec.Parts)
                w.Line(part.Member + " = " + RuntimeNames.BaseMembers.RegisterPart + "(" + Str(part.Member) + ", new " + part.TypeFullName + "(" + string.Join(", ", part.SizeArguments) + ", generator)"
                    + (part.SizeArguments[0] == spec.DimSymbol ? "" : ", size_" + part.SizeArguments[0]) + ");");
            foreach (var member in spec.SizeMembers)
                w.Line("this." + member + " = " + member + ";   // the size " + member + " the equations read");
            w.Line("BindEquationFields();");
            // A forced path is the model's run-time path from construction on (the property can still be changed).
            if (spec.Kernels == Model.KernelChoice.TorchScript) w.Line(RuntimeNames.BaseMembers.Kernels + " = " + RuntimeNames.Api.KernelPath.TorchScript + ";   // [EnergyModel(Kernels = KernelPath.TorchScript)]");
            if (spec.Kernels == Model.KernelChoice.Fused) w.Line(RuntimeNames.BaseMembers.Kernels + " = " + RuntimeNames.Api.KernelPath.Fused + ";   // [EnergyModel(Kernels = KernelPath.Fused)]");
            w.Close();
            w.Line();
            w.Line("/// <summary>Points the [Param] fields that the user's equations read at the current parameter tensors" + (spec.Parts.Count > 0 ? " (the parts' fields too)" : "") + ".</summary>");
            w.Open("private void BindEquationFields()");
            foreach (var p in spec.Params)
                w.Line(p.Name + " = new " + RuntimeNames.Api.Prefix + KindName(p.Rank) + "(" + RuntimeNames.BaseMembers.Param + "(" + Str(p.Name) + "));");
            w.Close();
            w.Line();
        }

        /// <summary>
        /// The constructor of a generated module whose sizes are named dimensions (flows, divergences): size fields, one int per
        /// dimension, registered [Param]s, and BindEquationFields pointing the user's fields at the parameter tensors.
        /// </summary>
        internal static void EmitSizedConstructor(SourceWriter w, string className, string dimSymbol, IReadOnlyList<string> sizes, Model.EquatableArray<Model.ParamSpec> parameters, string generatorDoc,
            Model.EquatableArray<Model.PartSpec> parts = default, Model.EquatableArray<string> sizeMembers = default)
        {
            foreach (var size in sizes) w.Line("private readonly long size_" + size + ";");
            w.Line();
            w.Line("/// <summary>Creates " + className + " for the given dimension sizes; parameters are registered with TorchSharp");
            w.Line("/// and initialised from <paramref name=\"generator\"/> unless their [Param] declares Init.</summary>");
            foreach (var size in sizes) w.Line("/// <param name=\"" + size + "\">The size of dimension " + size + (size == dimSymbol ? " (the dimension of z)" : "") + ".</param>");
            w.Line("/// <param name=\"generator\">" + generatorDoc + "</param>");
            w.Line("public " + className + "(" + string.Join(", ", sizes.Select(s => "int " + s)) + ", " + Torch + ".Generator? generator = null)");
            // The state's size: its name, or a size expression over the constructor's sizes ("2*D": (int)(2L * D)).
            string inputSize = sizes.Contains(dimSymbol) ? dimSymbol : "(int)" + SizeExpr.ToCode(SizeExpr.Canonical(dimSymbol), s => s);
            w.Line("    : base(" + Str(className) + ", " + RuntimeNames.BaseMembers.CheckSize + "(" + Str(className) + ", " + Str(dimSymbol) + ", " + inputSize + "))");
            w.Open();
            foreach (var size in sizes)
                w.Line("size_" + size + " = " + RuntimeNames.BaseMembers.CheckSize + "(" + Str(className) + ", " + Str(size) + ", " + size + ");");
            foreach (var p in parameters)
            {
                if (p.Part != null) continue;   // registered by its part
                string shape = p.Rank == 0 ? "System.Array.Empty<long>()" : "new long[] { " + string.Join(", ", p.Dims.Select(d => TensorCodeEmitter.SizeCode(SizeExpr.Canonical(d)))) + " }";
                w.Line(RuntimeNames.BaseMembers.RegisterParam + "(" + Str(p.Name) + ", " + shape + ", " + TensorCodeEmitter.Literal(p.Init) + ", generator);");
            }
            // Composition: each part is created with this module's sizes and registered as a submodule (its parameters are "Part.Name");
            // a part over a block of the state (its x dimension is not the state's) is registered with its own dimension.
            foreach (var part in parts)
                w.Line(part.Member + " = " + RuntimeNames.BaseMembers.RegisterPart + "(" + Str(part.Member) + ", new " + part.TypeFullName + "(" + string.Join(", ", part.SizeArguments) + ", generator)"
                    + (part.SizeArguments[0] == dimSymbol ? "" : ", size_" + part.SizeArguments[0]) + ");");
            foreach (var member in sizeMembers)
                w.Line("this." + member + " = " + member + ";   // the size " + member + " the equations read");
            w.Line("BindEquationFields();");
            w.Close();
            w.Line();
            w.Line("/// <summary>Points the [Param] fields that the user's equations read at the current parameter tensors.</summary>");
            w.Open("private void BindEquationFields()");
            foreach (var p in parameters)
                w.Line(p.Name + " = new " + RuntimeNames.Api.Prefix + (p.Rank == 0 ? "Scalar" : p.Rank == 1 ? "Vec" : "Mat") + "(" + RuntimeNames.BaseMembers.Param + "(" + Str(p.Name) + "));");
            w.Close();
            w.Line();
        }

        /// <summary>
        /// Declares <c>var p_Name = Param("Name");</c> for each parameter that <paramref name="roots"/> read, in declaration order,
        /// and returns the name → local map the tensor emitters take.
        /// </summary>
        internal static Dictionary<string, string> DeclareParamLocals(SourceWriter w, IEnumerable<Model.ParamSpec> parameters, IEnumerable<Node> roots)
        {
            var used = new HashSet<string>(Topology.Order(roots).Where(n => n.Op == Op.Param).Select(n => n.Name!));
            var locals = new Dictionary<string, string>();
            foreach (var p in parameters)
            {
                if (!used.Contains(p.Name)) continue;
                locals[p.Name] = ParamLocal(p.Name);
                w.Line("var " + ParamLocal(p.Name) + " = " + RuntimeNames.BaseMembers.Param + "(" + Str(p.Name) + ");");
            }
            return locals;
        }

        /// <summary>
        /// <c>public static ModelInfo Info</c> of an [Sde] class (for `dsl models`): its equation dx = f dt + G dw as written, its sizes,
        /// parameters, the members with generated bodies, and the kernel note.
        /// </summary>
        internal static void EmitSdeInfo(SourceWriter w, Model.SdeSpec spec, IEnumerable<string> sizes, IEnumerable<string> generated, IEnumerable<string> notes)
        {
            w.Line("/// <summary>What Dsl generated for this SDE.</summary>");
            w.Line("public static " + RuntimeNames.GeneratedCode.ModelInfo + " Info { get; } = new " + RuntimeNames.GeneratedCode.ModelInfo + "(");
            w.Line("    " + Str(spec.ClassName) + ",");
            w.Line("    " + Str("dx = (" + spec.Drift.SourceText + ") dt + (" + spec.Diffusion.SourceText + ") dw") + ",");
            w.Line("    " + StringArray(sizes) + ",");
            w.Line("    " + StringArray(spec.Params.Select(p => p.Name + ": " + ParamKind(p.Rank, p.Dims))) + ",");
            w.Line("    " + StringArray(generated) + ",");
            w.Line("    " + StringArray(notes) + ");");
            w.Line();
        }

        /// <summary>"Scalar", "Vec[D]", "Mat[K,D]": a parameter's kind and shape as ModelInfo lists it.</summary>
        internal static string ParamKind(int rank, IEnumerable<string> dims) =>
            rank == 0 ? "Scalar" : KindName(rank) + "[" + string.Join(",", dims) + "]";

        /// <summary>A C# string[] literal (System.Array.Empty when empty).</summary>
        internal static string StringArray(IEnumerable<string> items)
        {
            var list = items.ToList();
            return list.Count == 0 ? "System.Array.Empty<string>()" : "new string[] { " + string.Join(", ", list.Select(Str)) + " }";
        }

        /// <summary>The GeneratedModule check for a block of units.</summary>
        internal static string UnitCheck(Model.UnitKind units) => units == Model.UnitKind.Spins ? RuntimeNames.BaseMembers.CheckSpins : RuntimeNames.BaseMembers.CheckBits;

        /// <summary>The Dsl type the user's equation takes for a block of units.</summary>
        internal static string UnitType(Model.UnitKind units) => units == Model.UnitKind.Spins ? "Spins" : units == Model.UnitKind.Bits ? "Bits" : "Vec";

        /// <summary>The Dsl equation type of a parameter or value of rank 0, 1 or 2.</summary>
        internal static string KindName(int rank) => rank == 0 ? "Scalar" : rank == 1 ? "Vec" : "Mat";
    }
}
