# Compile settings shared by the library, the apps and the tests.
# The deal.II variant (debug/release) follows CMAKE_BUILD_TYPE and is carried
# by the exported target, so that users of an installed Dendra link the same one.
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(DENDRA_DEAL_II_TARGET ${DEAL_II_TARGET_DEBUG})
  set(DENDRA_DEAL_II_DEFINITIONS ${DEAL_II_USER_DEFINITIONS_DEBUG})
else()
  set(DENDRA_DEAL_II_TARGET ${DEAL_II_TARGET_RELEASE})
  set(DENDRA_DEAL_II_DEFINITIONS ${DEAL_II_USER_DEFINITIONS_RELEASE})
endif()

# Flags for Dendra's own translation units (not exported).
set(DENDRA_WARNING_FLAGS -Wall -Wextra -Wno-unused-parameter -Wno-deprecated-declarations)

# dendra_setup_target(<target>): warnings for a target built from this tree.
function(dendra_setup_target _target)
  target_compile_options(${_target} PRIVATE ${DENDRA_WARNING_FLAGS})
endfunction()
