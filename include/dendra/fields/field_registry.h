#pragma once

#include <dendra/base/exceptions.h>
#include <dendra/base/parameters.h>
#include <dendra/base/plugins.h>
#include <dendra/core/current_program.h>
#include <dendra/fields/field.h>
#include <dendra/fields/irreversible_field.h>
#include <dendra/fields/transient_field.h>
#include <dendra/materials/material_library.h>
#include <dendra/mesh/geometry.h>

#include <deal.II/base/parameter_handler.h>
#include <deal.II/distributed/tria.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>

namespace dendra
{
  /// What a field may know of the run it is created for, read-only (ASPECT's
  /// SimulatorAccess): the mesh, the materials, the geometry, the boundary
  /// names and the current program. The Simulator owns it.
  template <int dim>
  struct FieldContext
  {
    /// The mesh: empty while parameters are parsed, built when fields are made.
    const dealii::parallel::distributed::Triangulation<dim> &triangulation;
    const MaterialLibrary                                   &materials;      ///< subsection Materials
    const Geometry<dim>                                     &geometry;       ///< the geometry plugin
    const BoundaryNames                                     &boundary_names; ///< boundary ids by name
    /// Transient runs: the galvanostatic program (subsection Current program).
    const CurrentProgram &current_program;
    /// The boundary whose current follows the program; invalid if none.
    dealii::types::boundary_id working_electrode = dealii::numbers::invalid_boundary_id;
  };

  /// Makes a field on the context's mesh once it exists, with the parameters
  /// parsed before (so bad input is reported before the mesh is built).
  template <int dim>
  using FieldMaker = std::function<std::unique_ptr<Field<dim>>()>;

  /// The fields a run may name in Simulation/Fields, by name, filled by
  /// DENDRA_REGISTER_FIELD at static-initialisation time (ASPECT's plugins).
  /// The Simulator creates fields only through it and never names one.
  template <int dim>
  class FieldRegistry
  {
  public:
    /// Declares a field's parameters (its own subsections).
    using Declarer = std::function<void(dealii::ParameterHandler &)>;
    /// Reads a field's parameters for a run (InputError on bad input) and returns its maker.
    using Parser = std::function<FieldMaker<dim>(dealii::ParameterHandler &, const FieldContext<dim> &)>;

    /// One registered field.
    struct Entry
    {
      std::string  description; ///< one sentence for Simulation/Fields
      unsigned int rank = 0;    ///< fields are created, solved and written in increasing rank
      bool         transient = false; ///< the field is a TransientField (the run then has time steps)
      bool         irreversible = false; ///< the field is an IrreversibleField (the fracture scheme solves it)
      Declarer     declare;
      Parser       parse;
    };

    /// Adds field @p name; called by DENDRA_REGISTER_FIELD.
    static bool add(const std::string &name, Entry entry)
    {
      entries()[name] = std::move(entry);
      return true;
    }
    /// Names of all fields, as a deal.II Selection pattern "a|b|c".
    static std::string pattern() { return registry_pattern(entries()); }
    /// One sentence per field: "'name': description ".
    static std::string documentation() { return registry_documentation(entries()); }
    /// Declares every field's parameters.
    static void declare_all(dealii::ParameterHandler &prm)
    {
      for (const auto &[name, entry] : entries())
        entry.declare(prm);
    }
    /// The field called @p name; InputError naming @p parameter if there is none.
    static const Entry &get(const std::string &name, const std::string &parameter)
    {
      const auto it = entries().find(name);
      require_input(it != entries().end(), parameter + ": unknown field '" + name + "' (known: " + pattern() + ")");
      return it->second;
    }

  private:
    static std::map<std::string, Entry> &entries()
    {
      static std::map<std::string, Entry> registry;
      return registry;
    }
  };
} // namespace dendra

/// Registers field class template @p Class (dim = 2 and 3) under @p name with
/// solve order @p rank. The class provides static declare_parameters(prm) and
/// static parse(prm, context) returning its FieldMaker. Use it at namespace
/// scope in the field's .cc; nothing else needs to change to add a field.
#define DENDRA_REGISTER_FIELD(field_class, field_name, field_rank, field_description)                     \
  namespace                                                                                               \
  {                                                                                                       \
    template <int dim>                                                                                    \
    bool DENDRA_CONCAT(dendra_register_field_, __LINE__)()                                                \
    {                                                                                                     \
      typename dendra::FieldRegistry<dim>::Entry entry;                                                   \
      entry.description = field_description;                                                              \
      entry.rank        = field_rank;                                                                     \
      entry.transient   = std::is_base_of<dendra::TransientField<dim>, field_class<dim>>::value;          \
      entry.irreversible = std::is_base_of<dendra::IrreversibleField<dim>, field_class<dim>>::value;      \
      entry.declare     = &field_class<dim>::declare_parameters;                                          \
      entry.parse       = &field_class<dim>::parse;                                                       \
      return dendra::FieldRegistry<dim>::add(field_name, std::move(entry));                               \
    }                                                                                                     \
    const bool DENDRA_CONCAT(dendra_field_2d_, __LINE__) = DENDRA_CONCAT(dendra_register_field_, __LINE__)<2>(); \
    const bool DENDRA_CONCAT(dendra_field_3d_, __LINE__) = DENDRA_CONCAT(dendra_register_field_, __LINE__)<3>(); \
  }
