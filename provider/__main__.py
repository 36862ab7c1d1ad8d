"""Entry point Pulumi launches for the component provider (see PulumiPlugin.yaml)."""

from proliferate_components.provider import main

if __name__ == "__main__":
    main()
