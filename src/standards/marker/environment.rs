//! The marker variables and the values an interpreter gives them: the names a marker
//! may use (aliases included) and the environment it is evaluated in.
//!
//! Traps, each handled below:
//! - PEP 345's dotted names (`os.name`, `sys.platform`, `platform.version`,
//!   `platform.machine`, `platform.python_implementation`) and setuptools'
//!   `python_implementation` are aliases; `platform.system` never was one.
//! - An untagged CPython build reports `python_full_version` as `3.11.1+`, which is no
//!   version; the `+` is dropped, as packaging does.

use std::fmt;

/// The variables a marker may test, under their canonical names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerVariable {
    ImplementationName,
    ImplementationVersion,
    OsName,
    PlatformMachine,
    PlatformPythonImplementation,
    PlatformRelease,
    PlatformSystem,
    PlatformVersion,
    PythonFullVersion,
    PythonVersion,
    SysPlatform,
    /// Set by the extra being installed, not by the interpreter.
    Extra,
}

impl MarkerVariable {
    /// The variables an interpreter reports, in `MarkerEnvironment` field order.
    const ENVIRONMENT: [MarkerVariable; 11] = [
        MarkerVariable::ImplementationName,
        MarkerVariable::ImplementationVersion,
        MarkerVariable::OsName,
        MarkerVariable::PlatformMachine,
        MarkerVariable::PlatformPythonImplementation,
        MarkerVariable::PlatformRelease,
        MarkerVariable::PlatformSystem,
        MarkerVariable::PlatformVersion,
        MarkerVariable::PythonFullVersion,
        MarkerVariable::PythonVersion,
        MarkerVariable::SysPlatform,
    ];

    /// Resolves a name as written in a marker, legacy aliases included.
    pub(super) fn from_name(name: &str) -> Option<MarkerVariable> {
        Some(match name {
            "implementation_name" => MarkerVariable::ImplementationName,
            "implementation_version" => MarkerVariable::ImplementationVersion,
            "os_name" | "os.name" => MarkerVariable::OsName,
            "platform_machine" | "platform.machine" => MarkerVariable::PlatformMachine,
            "platform_python_implementation"
            | "platform.python_implementation"
            | "python_implementation" => MarkerVariable::PlatformPythonImplementation,
            "platform_release" => MarkerVariable::PlatformRelease,
            "platform_system" => MarkerVariable::PlatformSystem,
            "platform_version" | "platform.version" => MarkerVariable::PlatformVersion,
            "python_full_version" => MarkerVariable::PythonFullVersion,
            "python_version" => MarkerVariable::PythonVersion,
            "sys_platform" | "sys.platform" => MarkerVariable::SysPlatform,
            "extra" => MarkerVariable::Extra,
            _ => return None,
        })
    }

    /// The canonical name, as printed and as keyed in an environment map.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerVariable::ImplementationName => "implementation_name",
            MarkerVariable::ImplementationVersion => "implementation_version",
            MarkerVariable::OsName => "os_name",
            MarkerVariable::PlatformMachine => "platform_machine",
            MarkerVariable::PlatformPythonImplementation => "platform_python_implementation",
            MarkerVariable::PlatformRelease => "platform_release",
            MarkerVariable::PlatformSystem => "platform_system",
            MarkerVariable::PlatformVersion => "platform_version",
            MarkerVariable::PythonFullVersion => "python_full_version",
            MarkerVariable::PythonVersion => "python_version",
            MarkerVariable::SysPlatform => "sys_platform",
            MarkerVariable::Extra => "extra",
        }
    }

    /// The variables the spec types as `Version` (or `Version | String`): only these
    /// ever compare as versions.
    pub(super) fn is_version(self) -> bool {
        matches!(
            self,
            MarkerVariable::ImplementationVersion
                | MarkerVariable::PlatformRelease
                | MarkerVariable::PythonFullVersion
                | MarkerVariable::PythonVersion
        )
    }
}

impl fmt::Display for MarkerVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an interpreter reports about itself and its platform, one string per marker
/// variable (`extra` excepted: it comes from the request, not the interpreter).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerEnvironment {
    pub implementation_name: String,
    pub implementation_version: String,
    pub os_name: String,
    pub platform_machine: String,
    pub platform_python_implementation: String,
    pub platform_release: String,
    pub platform_system: String,
    pub platform_version: String,
    pub python_full_version: String,
    pub python_version: String,
    pub sys_platform: String,
}

/// Why a map of variables does not make a marker environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerEnvironmentError {
    pub missing: Vec<&'static str>,
}

impl fmt::Display for MarkerEnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("marker environment lacks ")?;
        for (i, name) in self.missing.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{name}`")?;
        }
        Ok(())
    }
}

impl std::error::Error for MarkerEnvironmentError {}

impl MarkerEnvironment {
    /// Builds an environment from `name -> value` pairs, as Python's
    /// `packaging.markers.default_environment()` returns them. The spec makes a
    /// missing variable an error rather than a guess; keys that are not marker
    /// variables are ignored, so newer interpreters may report more.
    pub fn from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, MarkerEnvironmentError> {
        let mut values: [Option<String>; 11] = Default::default();
        for (key, value) in map {
            let known = MarkerVariable::ENVIRONMENT
                .iter()
                .position(|v| v.as_str() == key.as_ref());
            if let Some(slot) = known.and_then(|i| values.get_mut(i)) {
                *slot = Some(value.as_ref().to_string());
            }
        }
        let missing: Vec<&'static str> = MarkerVariable::ENVIRONMENT
            .iter()
            .zip(&values)
            .filter(|(_, value)| value.is_none())
            .map(|(variable, _)| variable.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(MarkerEnvironmentError { missing });
        }
        let [
            implementation_name,
            implementation_version,
            os_name,
            platform_machine,
            platform_python_implementation,
            platform_release,
            platform_system,
            platform_version,
            python_full_version,
            python_version,
            sys_platform,
        ] = values.map(Option::unwrap_or_default);
        Ok(MarkerEnvironment {
            implementation_name,
            implementation_version,
            os_name,
            platform_machine,
            platform_python_implementation,
            platform_release,
            platform_system,
            platform_version,
            python_full_version,
            python_version,
            sys_platform,
        })
    }

    pub(super) fn get<'a>(&'a self, variable: MarkerVariable, extra: &'a str) -> &'a str {
        match variable {
            MarkerVariable::ImplementationName => &self.implementation_name,
            MarkerVariable::ImplementationVersion => &self.implementation_version,
            MarkerVariable::OsName => &self.os_name,
            MarkerVariable::PlatformMachine => &self.platform_machine,
            MarkerVariable::PlatformPythonImplementation => &self.platform_python_implementation,
            MarkerVariable::PlatformRelease => &self.platform_release,
            MarkerVariable::PlatformSystem => &self.platform_system,
            MarkerVariable::PlatformVersion => &self.platform_version,
            // Untagged CPython builds report `3.11.1+`, which is no version.
            MarkerVariable::PythonFullVersion => self
                .python_full_version
                .strip_suffix('+')
                .unwrap_or(&self.python_full_version),
            MarkerVariable::PythonVersion => &self.python_version,
            MarkerVariable::SysPlatform => &self.sys_platform,
            MarkerVariable::Extra => extra,
        }
    }
}
