#include <dendra/base/exceptions.h>

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <iostream>
#include <sstream>

namespace dendra
{
  InputError::InputError(const std::string &message)
    : std::runtime_error(message)
  {}

  void require_input(const bool condition, const std::string &message)
  {
    if (!condition)
      throw InputError(message);
  }

  namespace
  {
    std::string collapse_white_space(const std::string &text)
    {
      std::istringstream in(text);
      std::string        word, result;
      while (in >> word)
        result += (result.empty() ? "" : " ") + word;
      return result;
    }
  } // namespace

  std::string one_line_message(const std::exception &error)
  {
    std::string text = error.what();
    if (dynamic_cast<const dealii::ExceptionBase *>(&error) != nullptr)
      {
        // deal.II prefixes the useful text with file, line and condition.
        const std::string marker = "Additional information:";
        const auto        pos    = text.find(marker);
        if (pos != std::string::npos)
          text = text.substr(pos + marker.size());
        for (const std::string end : {"Stacktrace:", "----------"})
          {
            const auto cut = text.find(end);
            if (cut != std::string::npos)
              text = text.substr(0, cut);
          }
      }
    return collapse_white_space(text);
  }

  int report_error(const std::string &program, const std::exception &error)
  {
    int initialized = 0;
    MPI_Initialized(&initialized);
    int rank = 0;
    if (initialized)
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
      std::cerr << program << ": error: " << one_line_message(error) << std::endl;
    return 1;
  }
} // namespace dendra
