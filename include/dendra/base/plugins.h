#pragma once

#include <dendra/base/exceptions.h>

#include <deal.II/base/parameter_handler.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dendra
{
  /// The names of a registry's @p entries (a map by name) as a deal.II
  /// Selection pattern "a|b|c".
  template <typename Entries>
  std::string registry_pattern(const Entries &entries)
  {
    std::string names;
    for (const auto &[name, entry] : entries)
      names += (names.empty() ? "" : "|") + name;
    return names;
  }

  /// "'name': description " for each of a registry's @p entries.
  template <typename Entries>
  std::string registry_documentation(const Entries &entries)
  {
    std::string text;
    for (const auto &[name, entry] : entries)
      text += "'" + name + "': " + entry.description + " ";
    return text;
  }

  /// A registry of named implementations of @p Interface (geometries, ...),
  /// filled by DENDRA_REGISTER_PLUGIN at static-initialisation time, as in
  /// ASPECT's plugin system. Each plugin declares its own prm subsection.
  template <typename Interface>
  class PluginRegistry
  {
  public:
    /// Declares a plugin's parameters (it enters its own subsection).
    using Declarer = std::function<void(dealii::ParameterHandler &)>;
    /// Creates a default-constructed plugin.
    using Creator = std::function<std::unique_ptr<Interface>()>;

    /// Adds a plugin; called by DENDRA_REGISTER_PLUGIN.
    static bool add(const std::string &name, const std::string &description, Declarer declare, Creator create)
    {
      entries()[name] = Entry{description, std::move(declare), std::move(create)};
      return true;
    }

    /// Names of all plugins, as a deal.II Selection pattern string "a|b|c".
    static std::string pattern() { return registry_pattern(entries()); }

    /// One line per plugin: "name: description".
    static std::string documentation() { return registry_documentation(entries()); }

    /// Declares every plugin's own parameters.
    static void declare_all(dealii::ParameterHandler &prm)
    {
      for (const auto &[name, entry] : entries())
        entry.declare(prm);
    }

    /// Creates the plugin called @p name; InputError naming @p parameter otherwise.
    static std::unique_ptr<Interface> create(const std::string &name, const std::string &parameter)
    {
      const auto it = entries().find(name);
      require_input(it != entries().end(), parameter + ": unknown name '" + name + "' (known: " + pattern() + ")");
      return it->second.create();
    }

  private:
    struct Entry
    {
      std::string description;
      Declarer    declare;
      Creator     create;
    };
    static std::map<std::string, Entry> &entries()
    {
      static std::map<std::string, Entry> registry;
      return registry;
    }
  };
} // namespace dendra

#define DENDRA_CONCAT_IMPL(a, b) a##b
#define DENDRA_CONCAT(a, b) DENDRA_CONCAT_IMPL(a, b)

/// Registers class template @p Class (for dim = 2 and 3) as an implementation
/// of @p Interface under @p name. Use it at namespace scope in the plugin's .cc.
#define DENDRA_REGISTER_PLUGIN(Interface, Class, name, description)                                    \
  namespace                                                                                            \
  {                                                                                                    \
    const bool DENDRA_CONCAT(dendra_plugin_2d_, __LINE__) = dendra::PluginRegistry<Interface<2>>::add( \
      name, description, &Class<2>::declare_parameters,                                                \
      []() -> std::unique_ptr<Interface<2>> { return std::make_unique<Class<2>>(); });                 \
    const bool DENDRA_CONCAT(dendra_plugin_3d_, __LINE__) = dendra::PluginRegistry<Interface<3>>::add( \
      name, description, &Class<3>::declare_parameters,                                                \
      []() -> std::unique_ptr<Interface<3>> { return std::make_unique<Class<3>>(); });                 \
  }
