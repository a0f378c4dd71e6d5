/**
 * The contract is documented field by field (issue 5): schema.graphql, parsed as written, has a
 * description on every type, field, argument, input field, enum value and directive, including
 * those added by `extend type`. A failure lists each one that lacks it, with its line.
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, visit, type ASTNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH } from '../src/graphql/server.ts';

const DESCRIBED = new Set<string>([
  Kind.SCHEMA_DEFINITION,
  Kind.SCALAR_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.DIRECTIVE_DEFINITION,
  Kind.FIELD_DEFINITION,
  Kind.INPUT_VALUE_DEFINITION,
  Kind.ENUM_VALUE_DEFINITION,
]);

/** Where the definitions inside a node are named from: definitions and `extend …` blocks. */
const SCOPES = new Set<string>([
  ...DESCRIBED,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_EXTENSION,
  Kind.ENUM_TYPE_EXTENSION,
  Kind.INPUT_OBJECT_TYPE_EXTENSION,
]);
const nameOf = (node: ASTNode) => ('name' in node && node.name && 'value' in node.name ? node.name.value : null);

/** Each definition without a description, as "Owner.field.argument (kind, line N)". */
function undescribed(source: string): string[] {
  const missing: string[] = [];
  const names: string[] = [];
  visit(parse(source), {
    enter(node: ASTNode) {
      if (!SCOPES.has(node.kind)) return;
      const name = nameOf(node);
      if (name !== null) names.push(name);
      if (!DESCRIBED.has(node.kind)) return;
      const description = 'description' in node ? node.description?.value.trim() : undefined;
      if (!description) missing.push(`${names.join('.') || 'schema'} (${node.kind}, line ${node.loc?.startToken.line ?? '?'})`);
    },
    leave(node: ASTNode) {
      if (SCOPES.has(node.kind) && nameOf(node) !== null) names.pop();
    },
  });
  return missing;
}

describe('schema.graphql', () => {
  it('describes every type, field, argument, input field, enum value and directive', () => {
    expect(undescribed(readFileSync(SCHEMA_PATH, 'utf8'))).toEqual([]);
  });

  it('the check finds what lacks a description, wherever it is', () => {
    const source = `
      "A type." type A { "A field." f("An argument." x: Int, y: Int): Int g: Int }
      extend type A { h: Int }
      type B { "B." b: Int }
      "An enum." enum E { "One." ONE TWO }
      "An input." input I { "Set." a: Int b: Int }
      "A directive." directive @d(z: Int) on FIELD
      "A union." union U = A | B
    `;
    expect(undescribed(source).map((m) => m.replace(/, line \d+\)$/, ')'))).toEqual([
      'A.f.y (InputValueDefinition)',
      'A.g (FieldDefinition)',
      'A.h (FieldDefinition)',
      'B (ObjectTypeDefinition)',
      'E.TWO (EnumValueDefinition)',
      'I.b (InputValueDefinition)',
      'd.z (InputValueDefinition)',
    ]);
  });
});
